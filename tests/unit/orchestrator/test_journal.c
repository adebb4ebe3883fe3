/* The SQLite journal: idempotent planning, the submit intent that makes a crash between
 * "submit" and "record the id" recoverable, state changes, results with NAN as NULL,
 * persistence across reopening, WAL mode. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orchestrator/journal.h"
#include "tests/unit/unit.h"

static char err[512];
static char dbpath[64];

static journal *open_db(void)
{
    journal *jn = NULL;
    if (journal_open(dbpath, &jn, err, sizeof err) != 0)
        fprintf(stderr, "  open: %s\n", err);
    return jn;
}

static journal_job *find(journal_job *v, size_t n, long long id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

TEST(plan_is_idempotent)
{
    journal *jn = open_db();
    long long exp, exp2, pt, pt2, j1, j2;
    int created;
    CHECK_INT(journal_experiment(jn, "e1", "c.yaml", "text", "local", &exp, err, sizeof err), 0);
    CHECK_INT(journal_experiment(jn, "e1", "c.yaml", "text2", "local", &exp2, err, sizeof err), 0);
    CHECK(exp == exp2);
    CHECK_INT(journal_point_add(jn, exp, "n=1", 0, "{\"n\":\"1\"}", 1, 0, &pt, &created, err,
                                sizeof err), 0);
    CHECK_INT(created, 1);
    CHECK_INT(journal_point_add(jn, exp, "n=1", 0, "{\"n\":\"1\"}", 1, 0, &pt2, &created, err,
                                sizeof err), 0);
    CHECK_INT(created, 0);
    CHECK(pt == pt2);
    CHECK_INT(journal_job_add(jn, exp, pt, "small", 0, 0, "/r/0/", &j1, &created, err, sizeof err), 0);
    CHECK_INT(created, 1);
    CHECK_INT(journal_job_add(jn, exp, pt, "small", 0, 0, "/r/0/", &j2, &created, err, sizeof err), 0);
    CHECK_INT(created, 0);
    CHECK(j1 == j2);
    CHECK_INT(journal_job_add(jn, exp, pt, "small", 1, 0, "/r/1/", &j2, &created, err, sizeof err), 0);
    CHECK(j1 != j2);
    size_t c[JOB_CANCELLED + 1];
    CHECK_INT(journal_counts(jn, exp, c, err, sizeof err), 0);
    CHECK_INT(c[JOB_PLANNED], 2);
    long long missing;
    CHECK_INT(journal_experiment_find(jn, "nope", &missing, err, sizeof err), -1);
    CHECK(strstr(err, "no experiment \"nope\"") != NULL);
    journal_close(jn);
}

TEST(submit_intent_survives_reopen)
{
    journal *jn = open_db();
    long long exp;
    journal_job *v = NULL;
    size_t n = 0;
    CHECK_INT(journal_experiment(jn, "e1", NULL, NULL, "local", &exp, err, sizeof err), 0);
    CHECK_INT(journal_jobs(jn, exp, JOURNAL_ACTIVE, &v, &n, err, sizeof err), 0);
    CHECK_INT(n, 2);
    long long id = n ? v[0].id : 0;
    journal_jobs_free(v, n);
    CHECK_INT(journal_job_submit_intent(jn, id, err, sizeof err), 0);
    journal_close(jn);   /* "the orchestrator died here" */

    jn = open_db();
    CHECK_INT(journal_jobs(jn, exp, JOURNAL_ACTIVE, &v, &n, err, sizeof err), 0);
    journal_job *j = find(v, n, id);
    CHECK(j && j->submit_pending == 1 && j->backend_id == NULL && j->state == JOB_PLANNED);
    journal_jobs_free(v, n);
    /* The backend knew it: its id is recorded and the intent cleared. */
    CHECK_INT(journal_job_submitted(jn, id, "1234:99", err, sizeof err), 0);
    CHECK_INT(journal_jobs(jn, exp, JOURNAL_ACTIVE, &v, &n, err, sizeof err), 0);
    j = find(v, n, id);
    CHECK(j && j->submit_pending == 0 && j->state == JOB_SUBMITTED && j->attempts == 1);
    CHECK(j && j->backend_id && strcmp(j->backend_id, "1234:99") == 0);
    CHECK(j && j->submitted_at > 0);
    journal_jobs_free(v, n);
    journal_close(jn);
}

TEST(progress_finish_and_results)
{
    journal *jn = open_db();
    long long exp;
    journal_job *v = NULL;
    size_t n = 0;
    CHECK_INT(journal_experiment(jn, "e1", NULL, NULL, "local", &exp, err, sizeof err), 0);
    CHECK_INT(journal_jobs(jn, exp, JOURNAL_ACTIVE, &v, &n, err, sizeof err), 0);
    long long id = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].backend_id)
            id = v[i].id;
    journal_jobs_free(v, n);
    CHECK(id != 0);
    backend_status st = {.state = JOB_RUNNING, .exit_code = -1, .started_at = 1000,
                         .created_at = 990};
    CHECK_INT(journal_job_progress(jn, id, &st, err, sizeof err), 0);
    journal_result r;
    journal_result_init(&r);
    r.status = strdup("succeeded");
    r.exit_code = 0;
    r.wall_seconds = 12.5;
    r.cpu_seconds = 3.25;
    r.custom_metric = -7;
    r.result_dir = strdup("runs/small/n=1/0");
    r.summary_json = strdup("{\"status\":\"succeeded\"}");
    st.state = JOB_SUCCEEDED;
    st.exit_code = 0;
    st.stopped_at = 1012.5;
    CHECK_INT(journal_job_finish(jn, id, JOB_SUCCEEDED, &st, &r, err, sizeof err), 0);
    journal_result_free(&r);

    journal_result back;
    CHECK_INT(journal_job_result(jn, id, &back, err, sizeof err), 1);
    CHECK_STR(back.status, "succeeded");
    CHECK_INT(back.exit_code, 0);
    CHECK_NEAR(back.wall_seconds, 12.5, 0);
    CHECK_NEAR(back.custom_metric, -7, 0);
    CHECK(isnan(back.peak_memory_bytes));   /* not available stays not available */
    CHECK(isnan(back.queue_seconds));
    CHECK_STR(back.result_dir, "runs/small/n=1/0");
    journal_result_free(&back);

    CHECK_INT(journal_jobs(jn, exp, JOURNAL_FINAL, &v, &n, err, sizeof err), 0);
    CHECK_INT(n, 1);
    if (n) {
        CHECK_INT(v[0].state, JOB_SUCCEEDED);
        CHECK_INT(v[0].collected, 1);
        CHECK_NEAR(v[0].started_at, 1000, 0);
        CHECK_NEAR(v[0].stopped_at, 1012.5, 0);
        CHECK_NEAR(v[0].created_at, 990, 0);
        CHECK_STR(v[0].point_tag, "n=1");
        CHECK_STR(v[0].params_json, "{\"n\":\"1\"}");
    }
    journal_jobs_free(v, n);
    size_t c[JOB_CANCELLED + 1];
    CHECK_INT(journal_counts(jn, exp, c, err, sizeof err), 0);
    CHECK_INT(c[JOB_SUCCEEDED], 1);
    CHECK_INT(c[JOB_PLANNED], 1);
    journal_close(jn);
}

TEST(requeue_and_cancel)
{
    journal *jn = open_db();
    long long exp;
    journal_job *v = NULL;
    size_t n = 0;
    CHECK_INT(journal_experiment(jn, "e1", NULL, NULL, "local", &exp, err, sizeof err), 0);
    CHECK_INT(journal_jobs(jn, exp, JOURNAL_ACTIVE, &v, &n, err, sizeof err), 0);
    CHECK_INT(n, 1);
    long long id = n ? v[0].id : 0;
    journal_jobs_free(v, n);
    CHECK_INT(journal_job_submit_intent(jn, id, err, sizeof err), 0);
    CHECK_INT(journal_job_submitted(jn, id, "77:1", err, sizeof err), 0);
    CHECK_INT(journal_job_requeue(jn, id, "stalled", err, sizeof err), 0);
    CHECK_INT(journal_jobs(jn, exp, JOURNAL_ACTIVE, &v, &n, err, sizeof err), 0);
    CHECK(n == 1 && v[0].state == JOB_PLANNED && v[0].backend_id == NULL && v[0].attempts == 1);
    CHECK(n == 1 && v[0].reason && strcmp(v[0].reason, "stalled") == 0);
    journal_jobs_free(v, n);
    backend_status st = {.state = JOB_CANCELLED, .exit_code = -1};
    snprintf(st.reason, sizeof st.reason, "killed");
    CHECK_INT(journal_job_finish(jn, id, JOB_CANCELLED, &st, NULL, err, sizeof err), 0);
    journal_result r;
    CHECK_INT(journal_job_result(jn, id, &r, err, sizeof err), 0);   /* nothing collected */
    journal_result_free(&r);
    int round = 7;
    CHECK_INT(journal_max_round(jn, exp, &round, err, sizeof err), 0);
    CHECK_INT(round, 0);
    journal_close(jn);
}

TEST(kv_and_transactions)
{
    journal *jn = open_db();
    long long exp, pt;
    char *v = NULL;
    CHECK_INT(journal_experiment(jn, "e2", NULL, NULL, "batch", &exp, err, sizeof err), 0);
    CHECK_INT(journal_kv_get(jn, exp, "search_state", &v, err, sizeof err), 0);
    CHECK(v == NULL);
    CHECK_INT(journal_kv_set(jn, exp, "search_state", "abc", err, sizeof err), 0);
    CHECK_INT(journal_kv_set(jn, exp, "search_state", "def", err, sizeof err), 0);
    CHECK_INT(journal_kv_get(jn, exp, "search_state", &v, err, sizeof err), 0);
    CHECK_STR(v, "def");
    free(v);
    /* A rolled-back round leaves nothing behind. */
    CHECK_INT(journal_begin(jn, err, sizeof err), 0);
    CHECK_INT(journal_point_add(jn, exp, "x=1", 3, "{}", 1, 0, &pt, NULL, err, sizeof err), 0);
    journal_rollback(jn);
    int round = 0;
    CHECK_INT(journal_max_round(jn, exp, &round, err, sizeof err), 0);
    CHECK_INT(round, -1);
    CHECK_INT(journal_begin(jn, err, sizeof err), 0);
    CHECK_INT(journal_point_add(jn, exp, "x=1", 3, "{}", 1, 0, &pt, NULL, err, sizeof err), 0);
    CHECK_INT(journal_commit(jn, err, sizeof err), 0);
    CHECK_INT(journal_max_round(jn, exp, &round, err, sizeof err), 0);
    CHECK_INT(round, 3);
    /* A search over instance types plans the same point again with another type: the
     * point keeps round 3, its new job is round 4, and so is the search. */
    long long job_id;
    int created = 0;
    CHECK_INT(journal_point_add(jn, exp, "x=1", 4, "{}", 1, 0, &pt, &created, err, sizeof err), 0);
    CHECK_INT(created, 0);
    CHECK_INT(journal_job_add(jn, exp, pt, "c5.large", 0, 4, "s3://b/p", &job_id, &created, err,
                              sizeof err), 0);
    CHECK_INT(created, 1);
    CHECK_INT(journal_max_round(jn, exp, &round, err, sizeof err), 0);
    CHECK_INT(round, 4);
    journal_close(jn);
}

TEST(wal_mode_and_history)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
    CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    CHECK_INT(sqlite3_prepare_v2(db, "SELECT group_concat(state, ' ') FROM (SELECT state FROM"
                                     " events ORDER BY id)", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0),
              "submitted succeeded submitted requeued cancelled");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/test_journal.%d.db", (int)getpid());
    RUN(plan_is_idempotent);
    RUN(submit_intent_survives_reopen);
    RUN(progress_finish_and_results);
    RUN(requeue_and_cancel);
    RUN(kv_and_transactions);
    RUN(wal_mode_and_history);
    unlink(dbpath);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath);
    unlink(side);
    return unit_done();
}

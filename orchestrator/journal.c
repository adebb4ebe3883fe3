/* The SQLite journal (see journal.h). Every public change is one transaction: a single
 * statement in autocommit mode, or BEGIN IMMEDIATE ... COMMIT when it touches two tables. */
#include "orchestrator/journal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "common/timeutil.h"

struct journal {
    sqlite3 *db;
    int in_tx;          /* inside journal_begin() */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS experiments("
    " id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, config_path TEXT, config_text TEXT,"
    " backend TEXT, created_at REAL, updated_at REAL);"
    "CREATE TABLE IF NOT EXISTS points("
    " id INTEGER PRIMARY KEY, experiment_id INTEGER NOT NULL REFERENCES experiments(id),"
    " tag TEXT NOT NULL, round INTEGER NOT NULL, params_json TEXT NOT NULL,"
    " nodes INTEGER NOT NULL, gpus INTEGER NOT NULL, created_at REAL,"
    " UNIQUE(experiment_id, tag));"
    "CREATE TABLE IF NOT EXISTS jobs("
    " id INTEGER PRIMARY KEY, experiment_id INTEGER NOT NULL REFERENCES experiments(id),"
    " point_id INTEGER NOT NULL REFERENCES points(id), instance_type TEXT NOT NULL,"
    " replicate INTEGER NOT NULL, round INTEGER NOT NULL, state TEXT NOT NULL,"
    " submit_pending INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    " backend_id TEXT, exit_code INTEGER, reason TEXT, result_url TEXT,"
    " submitted_at REAL, started_at REAL, stopped_at REAL, created_at REAL, updated_at REAL,"
    " UNIQUE(experiment_id, instance_type, point_id, replicate));"
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(experiment_id, state);"
    "CREATE TABLE IF NOT EXISTS results("
    " job_id INTEGER PRIMARY KEY REFERENCES jobs(id), collected_at REAL, status TEXT,"
    " exit_code INTEGER, signal INTEGER, wall_seconds REAL, cpu_seconds REAL,"
    " cpu_user_seconds REAL, cpu_system_seconds REAL, peak_memory_bytes REAL,"
    " cgroup_peak_memory_bytes REAL, disk_read_bytes REAL, disk_write_bytes REAL,"
    " net_rx_bytes REAL, net_tx_bytes REAL, custom_metric REAL, custom_metric_reason TEXT,"
    " custom_metrics_json TEXT, summary_json TEXT, result_dir TEXT, queue_seconds REAL);"
    "CREATE TABLE IF NOT EXISTS events("
    " id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, at REAL NOT NULL, state TEXT NOT NULL,"
    " backend_id TEXT, note TEXT);"
    "CREATE TABLE IF NOT EXISTS kv("
    " experiment_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT,"
    " PRIMARY KEY(experiment_id, key));";

static int db_fail(journal *jn, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "state database: %s: %s", what, sqlite3_errmsg(jn->db));
    return -1;
}

int journal_open(const char *path, journal **out, char *err, size_t errlen)
{
    journal *jn = calloc(1, sizeof *jn);
    if (!jn) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (sqlite3_open_v2(path, &jn->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open: %s", path,
                 jn->db ? sqlite3_errmsg(jn->db) : "out of memory");
        sqlite3_close(jn->db);
        free(jn);
        return -1;
    }
    sqlite3_busy_timeout(jn->db, 10000);
    /* WAL: readers (status, report) never block the run; synchronous=FULL: a committed
     * state change survives a power cut, not only a crash. */
    char *msg = NULL;
    if (sqlite3_exec(jn->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                             "PRAGMA foreign_keys=ON;", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(jn->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot set up the schema");
        sqlite3_free(msg);
        sqlite3_close(jn->db);
        free(jn);
        return -1;
    }
    *out = jn;
    return 0;
}

void journal_close(journal *jn)
{
    if (!jn)
        return;
    sqlite3_close(jn->db);
    free(jn);
}

int journal_begin(journal *jn, char *err, size_t errlen)
{
    if (sqlite3_exec(jn->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "begin");
    jn->in_tx = 1;
    return 0;
}

int journal_commit(journal *jn, char *err, size_t errlen)
{
    if (sqlite3_exec(jn->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        db_fail(jn, err, errlen, "commit");
        journal_rollback(jn);
        return -1;
    }
    jn->in_tx = 0;
    return 0;
}

void journal_rollback(journal *jn)
{
    sqlite3_exec(jn->db, "ROLLBACK", NULL, NULL, NULL);
    jn->in_tx = 0;
}

/* Binds values by a type string: i long long, d int, f double (NAN → NULL), s string. */
static int bind_va(sqlite3_stmt *st, const char *types, va_list ap)
{
    for (int i = 0; types[i]; i++) {
        int rc, col = i + 1;
        switch (types[i]) {
        case 'i': rc = sqlite3_bind_int64(st, col, va_arg(ap, long long)); break;
        case 'd': rc = sqlite3_bind_int(st, col, va_arg(ap, int)); break;
        case 'f': {
            double v = va_arg(ap, double);
            rc = isnan(v) ? sqlite3_bind_null(st, col) : sqlite3_bind_double(st, col, v);
            break;
        }
        default: {
            const char *s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, col);
        }
        }
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

/* Runs one statement that returns no rows. */
static int exec_sql(journal *jn, char *err, size_t errlen, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(jn->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "prepare");
    va_list ap;
    va_start(ap, types);
    int rc = bind_va(st, types, ap);
    va_end(ap);
    if (rc == 0 && sqlite3_step(st) != SQLITE_DONE)
        rc = -1;
    if (rc)
        db_fail(jn, err, errlen, "write");
    sqlite3_finalize(st);
    return rc;
}

/* Runs a query that yields one integer; 1 found, 0 none, -1 error. */
static int query_id(journal *jn, char *err, size_t errlen, long long *out, const char *sql,
                    const char *types, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(jn->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "prepare");
    va_list ap;
    va_start(ap, types);
    int rc = bind_va(st, types, ap);
    va_end(ap);
    if (rc == 0) {
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = 1;
        } else if (s != SQLITE_DONE) {
            rc = -1;
        }
    }
    if (rc < 0)
        db_fail(jn, err, errlen, "read");
    sqlite3_finalize(st);
    return rc;
}

/* Two-table changes: their own transaction unless the caller opened one. */
static int tx_open(journal *jn, char *err, size_t errlen)
{
    return jn->in_tx ? 0 : journal_begin(jn, err, errlen) == 0 ? 1 : -1;
}

static int tx_close(journal *jn, int opened, int ok, char *err, size_t errlen)
{
    if (opened != 1)
        return ok ? 0 : -1;
    if (!ok) {
        journal_rollback(jn);
        return -1;
    }
    return journal_commit(jn, err, errlen);
}

static int add_event(journal *jn, long long job_id, const char *state, const char *backend_id,
                     const char *note, char *err, size_t errlen)
{
    return exec_sql(jn, err, errlen,
                    "INSERT INTO events(job_id, at, state, backend_id, note) VALUES(?,?,?,?,?)",
                    "ifsss", job_id, wall_seconds(), state, backend_id, note);
}

/* ---- experiments, points, jobs ------------------------------------------------------- */

int journal_experiment(journal *jn, const char *name, const char *config_path,
                       const char *config_text, const char *backend_name, long long *id,
                       char *err, size_t errlen)
{
    double now = wall_seconds();
    if (exec_sql(jn, err, errlen,
                 "INSERT INTO experiments(name, config_path, config_text, backend, created_at,"
                 " updated_at) VALUES(?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
                 " config_path=excluded.config_path, config_text=excluded.config_text,"
                 " backend=excluded.backend, updated_at=excluded.updated_at",
                 "ssssff", name, config_path, config_text, backend_name, now, now))
        return -1;
    int rc = query_id(jn, err, errlen, id, "SELECT id FROM experiments WHERE name=?", "s", name);
    return rc == 1 ? 0 : -1;
}

int journal_experiment_find(journal *jn, const char *name, long long *id, char *err,
                            size_t errlen)
{
    int rc = query_id(jn, err, errlen, id, "SELECT id FROM experiments WHERE name=?", "s", name);
    if (rc == 0)
        snprintf(err, errlen, "no experiment \"%s\" in the state database", name);
    return rc == 1 ? 0 : -1;
}

int journal_point_add(journal *jn, long long exp_id, const char *tag, int round,
                      const char *params_json, int nodes, int gpus, long long *point_id,
                      int *created, char *err, size_t errlen)
{
    int rc = query_id(jn, err, errlen, point_id,
                      "SELECT id FROM points WHERE experiment_id=? AND tag=?", "is", exp_id, tag);
    if (rc != 0) {
        if (created)
            *created = 0;
        return rc == 1 ? 0 : -1;
    }
    if (exec_sql(jn, err, errlen,
                 "INSERT INTO points(experiment_id, tag, round, params_json, nodes, gpus,"
                 " created_at) VALUES(?,?,?,?,?,?,?)",
                 "isdsddf", exp_id, tag, round, params_json, nodes, gpus, wall_seconds()))
        return -1;
    *point_id = sqlite3_last_insert_rowid(jn->db);
    if (created)
        *created = 1;
    return 0;
}

int journal_job_add(journal *jn, long long exp_id, long long point_id,
                    const char *instance_type, int replicate, int round,
                    const char *result_url, long long *job_id, int *created, char *err,
                    size_t errlen)
{
    int rc = query_id(jn, err, errlen, job_id,
                      "SELECT id FROM jobs WHERE experiment_id=? AND instance_type=? AND"
                      " point_id=? AND replicate=?",
                      "isid", exp_id, instance_type, point_id, replicate);
    if (rc != 0) {
        if (created)
            *created = 0;
        return rc == 1 ? 0 : -1;
    }
    double now = wall_seconds();
    if (exec_sql(jn, err, errlen,
                 "INSERT INTO jobs(experiment_id, point_id, instance_type, replicate, round,"
                 " state, result_url, exit_code, updated_at) VALUES(?,?,?,?,?,'planned',?,-1,?)",
                 "iisddsf", exp_id, point_id, instance_type, replicate, round, result_url, now))
        return -1;
    *job_id = sqlite3_last_insert_rowid(jn->db);
    if (created)
        *created = 1;
    return 0;
}

/* ---- loading jobs ---------------------------------------------------------------------- */

static char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s ? strdup((const char *)s) : NULL;
}

static double col_real(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static double col_time(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : sqlite3_column_double(st, col);
}

static int row_to_job(sqlite3_stmt *st, journal_job *j)
{
    memset(j, 0, sizeof *j);
    j->id = sqlite3_column_int64(st, 0);
    j->point_id = sqlite3_column_int64(st, 1);
    j->instance_type = col_text(st, 2);
    j->point_tag = col_text(st, 3);
    j->params_json = col_text(st, 4);
    j->nodes = sqlite3_column_int(st, 5);
    j->gpus = sqlite3_column_int(st, 6);
    j->replicate = sqlite3_column_int(st, 7);
    j->round = sqlite3_column_int(st, 8);
    const char *state = (const char *)sqlite3_column_text(st, 9);
    if (!state || job_state_parse(state, &j->state) != 0)
        j->state = JOB_PLANNED;
    j->submit_pending = sqlite3_column_int(st, 10);
    j->attempts = sqlite3_column_int(st, 11);
    j->backend_id = col_text(st, 12);
    j->exit_code = sqlite3_column_type(st, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 13);
    j->reason = col_text(st, 14);
    j->result_url = col_text(st, 15);
    j->submitted_at = col_time(st, 16);
    j->started_at = col_time(st, 17);
    j->stopped_at = col_time(st, 18);
    j->created_at = col_time(st, 19);
    j->updated_at = col_time(st, 20);
    j->collected = sqlite3_column_int(st, 21);
    return j->instance_type && j->point_tag && j->params_json ? 0 : -1;
}

void journal_jobs_free(journal_job *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].instance_type);
        free(v[i].point_tag);
        free(v[i].params_json);
        free(v[i].backend_id);
        free(v[i].reason);
        free(v[i].result_url);
    }
    free(v);
}

int journal_jobs(journal *jn, long long exp_id, journal_filter f, journal_job **out, size_t *n,
                 char *err, size_t errlen)
{
    static const char *const where[] = {
        "", " AND j.state IN ('planned','submitted','running')",
        " AND j.state IN ('succeeded','failed','cancelled')",
    };
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT j.id, j.point_id, j.instance_type, p.tag, p.params_json, p.nodes, p.gpus,"
             " j.replicate, j.round, j.state, j.submit_pending, j.attempts, j.backend_id,"
             " j.exit_code, j.reason, j.result_url, j.submitted_at, j.started_at, j.stopped_at,"
             " j.created_at, j.updated_at, (SELECT COUNT(*) FROM results r WHERE r.job_id=j.id)"
             " FROM jobs j JOIN points p ON p.id=j.point_id WHERE j.experiment_id=?%s"
             " ORDER BY j.round, j.point_id, j.instance_type, j.replicate",
             where[f]);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(jn->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "prepare");
    sqlite3_bind_int64(st, 1, exp_id);
    size_t cap = 64, count = 0;
    journal_job *v = malloc(cap * sizeof *v);
    int s = SQLITE_ERROR;
    while (v && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            journal_job *nv = realloc(v, cap * 2 * sizeof *v);
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        if (row_to_job(st, &v[count++]) != 0)
            break;
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) {
        journal_jobs_free(v, count);
        snprintf(err, errlen, "state database: reading jobs failed (out of memory or I/O)");
        return -1;
    }
    *out = v;
    *n = count;
    return 0;
}

/* ---- state changes ------------------------------------------------------------------------ */

int journal_job_submit_intent(journal *jn, long long job_id, char *err, size_t errlen)
{
    return exec_sql(jn, err, errlen,
                    "UPDATE jobs SET submit_pending=1, updated_at=? WHERE id=? AND state='planned'",
                    "fi", wall_seconds(), job_id);
}

int journal_job_submitted(journal *jn, long long job_id, const char *backend_id, char *err,
                          size_t errlen)
{
    int opened = tx_open(jn, err, errlen);
    if (opened < 0)
        return -1;
    double now = wall_seconds();
    int ok = exec_sql(jn, err, errlen,
                      "UPDATE jobs SET state='submitted', submit_pending=0, attempts=attempts+1,"
                      " backend_id=?, submitted_at=?, updated_at=? WHERE id=?",
                      "sffi", backend_id, now, now, job_id) == 0 &&
             add_event(jn, job_id, "submitted", backend_id, NULL, err, errlen) == 0;
    return tx_close(jn, opened, ok, err, errlen);
}

int journal_job_submit_cleared(journal *jn, long long job_id, char *err, size_t errlen)
{
    return exec_sql(jn, err, errlen,
                    "UPDATE jobs SET submit_pending=0, updated_at=? WHERE id=?", "fi",
                    wall_seconds(), job_id);
}

int journal_job_progress(journal *jn, long long job_id, const backend_status *st, char *err,
                         size_t errlen)
{
    const char *state = job_state_name(st->state);
    return exec_sql(jn, err, errlen,
                    "UPDATE jobs SET state=?, started_at=COALESCE(?, started_at),"
                    " created_at=COALESCE(?, created_at), updated_at=? WHERE id=?",
                    "sfffi", state, st->started_at > 0 ? st->started_at : NAN,
                    st->created_at > 0 ? st->created_at : NAN, wall_seconds(), job_id);
}

int journal_job_requeue(journal *jn, long long job_id, const char *reason, char *err,
                        size_t errlen)
{
    int opened = tx_open(jn, err, errlen);
    if (opened < 0)
        return -1;
    int ok = exec_sql(jn, err, errlen,
                      "UPDATE jobs SET state='planned', backend_id=NULL, submit_pending=0,"
                      " reason=?, updated_at=? WHERE id=?",
                      "sfi", reason, wall_seconds(), job_id) == 0 &&
             add_event(jn, job_id, "requeued", NULL, reason, err, errlen) == 0;
    return tx_close(jn, opened, ok, err, errlen);
}

void journal_result_init(journal_result *r)
{
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    r->wall_seconds = r->cpu_seconds = r->cpu_user_seconds = r->cpu_system_seconds = NAN;
    r->peak_memory_bytes = r->cgroup_peak_memory_bytes = NAN;
    r->disk_read_bytes = r->disk_write_bytes = r->net_rx_bytes = r->net_tx_bytes = NAN;
    r->custom_metric = NAN;
    r->queue_seconds = NAN;
}

void journal_result_free(journal_result *r)
{
    free(r->status);
    free(r->custom_metric_reason);
    free(r->custom_metrics_json);
    free(r->summary_json);
    free(r->result_dir);
    journal_result_init(r);
}

static int insert_result(journal *jn, long long job_id, const journal_result *r, char *err,
                         size_t errlen)
{
    return exec_sql(jn, err, errlen,
                    "INSERT OR REPLACE INTO results(job_id, collected_at, status, exit_code, signal,"
                    " wall_seconds, cpu_seconds, cpu_user_seconds, cpu_system_seconds,"
                    " peak_memory_bytes, cgroup_peak_memory_bytes, disk_read_bytes,"
                    " disk_write_bytes, net_rx_bytes, net_tx_bytes, custom_metric,"
                    " custom_metric_reason, custom_metrics_json, summary_json, result_dir,"
                    " queue_seconds) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    "ifsddfffffffffffssssf", job_id, wall_seconds(), r->status, r->exit_code,
                    r->signal, r->wall_seconds, r->cpu_seconds, r->cpu_user_seconds,
                    r->cpu_system_seconds, r->peak_memory_bytes, r->cgroup_peak_memory_bytes,
                    r->disk_read_bytes, r->disk_write_bytes, r->net_rx_bytes, r->net_tx_bytes,
                    r->custom_metric, r->custom_metric_reason, r->custom_metrics_json,
                    r->summary_json, r->result_dir, r->queue_seconds);
}

int journal_job_finish(journal *jn, long long job_id, job_state final_state,
                       const backend_status *st, const journal_result *r, char *err,
                       size_t errlen)
{
    int opened = tx_open(jn, err, errlen);
    if (opened < 0)
        return -1;
    double now = wall_seconds();
    int exit_code = r && r->exit_code >= 0 ? r->exit_code : st ? st->exit_code : -1;
    const char *reason = st && st->reason[0] ? st->reason : NULL;
    int ok = exec_sql(jn, err, errlen,
                      "UPDATE jobs SET state=?, submit_pending=0, exit_code=?,"
                      " reason=COALESCE(?, reason), started_at=COALESCE(?, started_at),"
                      " stopped_at=COALESCE(?, stopped_at), created_at=COALESCE(?, created_at),"
                      " updated_at=? WHERE id=?",
                      "sdsffffi", job_state_name(final_state), exit_code, reason,
                      st && st->started_at > 0 ? st->started_at : NAN,
                      st && st->stopped_at > 0 ? st->stopped_at : NAN,
                      st && st->created_at > 0 ? st->created_at : NAN, now, job_id) == 0 &&
             (!r || insert_result(jn, job_id, r, err, errlen) == 0) &&
             add_event(jn, job_id, job_state_name(final_state), NULL, reason, err, errlen) == 0;
    return tx_close(jn, opened, ok, err, errlen);
}

int journal_job_result(journal *jn, long long job_id, journal_result *r, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st = NULL;
    journal_result_init(r);
    if (sqlite3_prepare_v2(jn->db,
                           "SELECT status, exit_code, signal, wall_seconds, cpu_seconds,"
                           " cpu_user_seconds, cpu_system_seconds, peak_memory_bytes,"
                           " cgroup_peak_memory_bytes, disk_read_bytes, disk_write_bytes,"
                           " net_rx_bytes, net_tx_bytes, custom_metric, custom_metric_reason,"
                           " custom_metrics_json, summary_json, result_dir, queue_seconds"
                           " FROM results WHERE job_id=?",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "prepare");
    sqlite3_bind_int64(st, 1, job_id);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW) {
        r->status = col_text(st, 0);
        r->exit_code = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1);
        r->signal = sqlite3_column_int(st, 2);
        double *nums[] = {&r->wall_seconds, &r->cpu_seconds, &r->cpu_user_seconds,
                          &r->cpu_system_seconds, &r->peak_memory_bytes,
                          &r->cgroup_peak_memory_bytes, &r->disk_read_bytes,
                          &r->disk_write_bytes, &r->net_rx_bytes, &r->net_tx_bytes,
                          &r->custom_metric};
        for (int i = 0; i < 11; i++)
            *nums[i] = col_real(st, 3 + i);
        r->custom_metric_reason = col_text(st, 14);
        r->custom_metrics_json = col_text(st, 15);
        r->summary_json = col_text(st, 16);
        r->result_dir = col_text(st, 17);
        r->queue_seconds = col_real(st, 18);
        rc = 1;
    } else if (s != SQLITE_DONE) {
        rc = db_fail(jn, err, errlen, "read");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- summaries --------------------------------------------------------------------------- */

int journal_counts(journal *jn, long long exp_id, size_t counts[JOB_CANCELLED + 1], char *err,
                   size_t errlen)
{
    sqlite3_stmt *st = NULL;
    memset(counts, 0, sizeof(size_t) * (JOB_CANCELLED + 1));
    if (sqlite3_prepare_v2(jn->db,
                           "SELECT state, COUNT(*) FROM jobs WHERE experiment_id=? GROUP BY state",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "prepare");
    sqlite3_bind_int64(st, 1, exp_id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        job_state js;
        if (job_state_parse((const char *)sqlite3_column_text(st, 0), &js) == 0)
            counts[js] = (size_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : db_fail(jn, err, errlen, "read");
}

int journal_max_round(journal *jn, long long exp_id, int *round, char *err, size_t errlen)
{
    long long v = -1;
    int rc = query_id(jn, err, errlen, &v,
                      /* The jobs' rounds too: a point searched over instance types keeps
                       * the round it was first planned in, and later rounds add only jobs. */
                      "SELECT MAX(r) FROM (SELECT round AS r FROM points WHERE experiment_id=?"
                      " UNION ALL SELECT round FROM jobs WHERE experiment_id=?)"
                      " HAVING COUNT(*) > 0",
                      "ii", exp_id, exp_id);
    if (rc < 0)
        return -1;
    *round = rc == 1 ? (int)v : -1;
    return 0;
}

int journal_kv_set(journal *jn, long long exp_id, const char *key, const char *value,
                   char *err, size_t errlen)
{
    return exec_sql(jn, err, errlen,
                    "INSERT OR REPLACE INTO kv(experiment_id, key, value) VALUES(?,?,?)", "iss",
                    exp_id, key, value);
}

int journal_kv_get(journal *jn, long long exp_id, const char *key, char **value, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *value = NULL;
    if (sqlite3_prepare_v2(jn->db, "SELECT value FROM kv WHERE experiment_id=? AND key=?", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(jn, err, errlen, "prepare");
    sqlite3_bind_int64(st, 1, exp_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW)
        *value = col_text(st, 0);
    else if (s != SQLITE_DONE)
        rc = db_fail(jn, err, errlen, "read");
    sqlite3_finalize(st);
    return rc;
}

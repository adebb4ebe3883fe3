/* Drives the batch backend and setup/teardown directly (no journal, no run loop), so
 * test_batch_moto.sh can check each Batch operation against moto on its own. Built by that
 * test against the build's archives.
 *
 *   batch_driver setup CFG | teardown CFG
 *   batch_driver submit CFG JOBS       plan types x points x replicates (journal ids 1..N),
 *                                      submit them all, write "ID TYPE TAG REP BACKEND_ID"
 *                                      lines to JOBS
 *   batch_driver wait CFG JOBS SECONDS poll until every job is final; print
 *                                      "ID STATE EXIT BACKEND_ID" lines
 *   batch_driver running CFG JOBS SECONDS   poll until every job runs
 *   batch_driver poll2 CFG JOBS [STATES]   two polls 1.2 s apart; print each one's
 *                                      DescribeJobs calls (the second shows the steady-state
 *                                      cost). STATES: a `wait` output, taken as the journal's
 *                                      states (the first poll of a restarted run); then
 *                                      the second poll's "ID STATE EXIT BACKEND_ID" lines
 *   batch_driver poll-all CFG JOBS [STATES]   as the run loop would: poll the jobs not yet
 *                                      final (their states as the journal would hold them,
 *                                      STATES as for poll2) 1.2 s apart until all are; per
 *                                      poll, "poll K of N jobs: C DescribeJobs calls, F
 *                                      final (T with Batch times)", then "polls P until all
 *                                      final: C DescribeJobs calls, at most W per poll,
 *                                      M final without Batch times"
 *   batch_driver kill CFG JOBS         cancel every job
 *   batch_driver log CFG JOBS ID PATH  save job ID's log stream to PATH
 *   batch_driver recover CFG JOBS ID   find job ID by its name; print its backend id
 *   batch_driver submit-singly CFG JOBS   as submit, one SubmitJob per job (the older tool)
 *   batch_driver wait-queues CFG JOBS SECONDS   as wait, polling the older tool's way: list
 *                                      every queue in every status (ListJobs) per poll
 * Every command prints "calls submit=S describe=D register=R list=L terminate=T" last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "orchestrator/backend_batch.h"
#include "orchestrator/batch_names.h"
#include "orchestrator/batch_setup.h"
#include "orchestrator/config.h"
#include "orchestrator/plan.h"

typedef struct job_set {
    job *v;
    size_t n;
} job_set;

static void jobs_free(job_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        job_free_fields(&s->v[i]);
    free(s->v);
}

static char *result_url(const config *cfg, const char *type, const char *tag, int rep)
{
    size_t n = strlen(cfg->results_url) + strlen(cfg->experiment) + strlen(type) +
               strlen(tag) + 32;
    char *u = malloc(n);
    const char *sep = cfg->results_url[strlen(cfg->results_url) - 1] == '/' ? "" : "/";
    snprintf(u, n, "%s%s%s/%s/%s/%d/", cfg->results_url, sep, cfg->experiment, type, tag,
             rep);
    return u;
}

static int plan_jobs(const config *cfg, job_set *s, char *err, size_t errlen)
{
    char **types = NULL;
    size_t n_types = 0, n_points = 0;
    plan_point *points = NULL;
    if (plan_instance_types(cfg, &types, &n_types, err, errlen) ||
        plan_points(cfg, &points, &n_points, err, errlen))
        return -1;
    s->v = calloc(n_types * n_points * (size_t)cfg->replicates + 1, sizeof *s->v);
    for (size_t t = 0; t < n_types; t++)
        for (size_t p = 0; p < n_points; p++)
            for (int r = 0; r < cfg->replicates; r++) {
                job *j = &s->v[s->n];
                j->id = (long long)s->n + 1;
                j->experiment = strdup(cfg->experiment);
                j->instance_type = strdup(types[t]);
                j->point_tag = strdup(points[p].tag);
                j->replicate = r;
                j->nodes = points[p].nodes;
                j->gpus = points[p].gpus;
                j->exit_code = -1;
                j->result_url = result_url(cfg, types[t], points[p].tag, r);
                if (plan_argv(cfg, &points[p], &j->argv, err, errlen) != 0)
                    return -1;
                s->n++;
            }
    plan_points_free(points, n_points);
    plan_strings_free(types, n_types);
    return 0;
}

static int read_jobs(const config *cfg, const char *path, job_set *s)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char type[128], tag[512], id_buf[256];
    long long id;
    int rep;
    s->v = calloc(4096, sizeof *s->v);
    while (s->n < 4096 &&
           fscanf(f, "%lld %127s %511s %d %255s", &id, type, tag, &rep, id_buf) == 5) {
        job *j = &s->v[s->n++];
        j->id = id;
        j->experiment = strdup(cfg->experiment);
        j->instance_type = strdup(type);
        j->point_tag = strdup(tag);
        j->replicate = rep;
        j->result_url = result_url(cfg, type, tag, rep);
        j->backend_id = strdup(id_buf);
    }
    fclose(f);
    return 0;
}

/* Sets the jobs' journal states from a `wait` output ("ID STATE EXIT BACKEND_ID ..."). */
static int read_states(const char *path, job_set *s)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024], state[32];
    long long id;
    int exit_code;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lld %31s %d", &id, state, &exit_code) == 3)
            for (size_t i = 0; i < s->n; i++)
                if (s->v[i].id == id && job_state_parse(state, &s->v[i].state) == 0)
                    s->v[i].exit_code = exit_code;
    fclose(f);
    return 0;
}

static void print_stats(backend *b)
{
    batch_backend_stats st;
    backend_batch_stats(b, &st);
    printf("calls submit=%zu describe=%zu register=%zu list=%zu terminate=%zu\n",
           st.submit_calls, st.describe_calls, st.register_calls, st.list_calls,
           st.terminate_calls);
}

static int cmd_submit(backend *b, const config *cfg, const char *out, int singly, char *err,
                      size_t errlen)
{
    job_set s = { 0 };
    int rc = plan_jobs(cfg, &s, err, errlen);
    job **ptrs = calloc(s.n + 1, sizeof *ptrs);
    for (size_t i = 0; i < s.n; i++)
        ptrs[i] = &s.v[i];
    size_t accepted = 0;
    if (rc == 0 && !singly)
        rc = b->ops->submit(b, ptrs, s.n, &accepted, err, errlen);
    for (size_t i = 0; rc == 0 && singly && i < s.n; i++) {
        size_t one = 0;
        rc = b->ops->submit(b, ptrs + i, 1, &one, err, errlen);
        accepted += one;
    }
    FILE *f = fopen(out, "w");
    for (size_t i = 0; f && i < accepted; i++)
        fprintf(f, "%lld %s %s %d %s\n", s.v[i].id, s.v[i].instance_type, s.v[i].point_tag,
                s.v[i].replicate, s.v[i].backend_id);
    if (f)
        fclose(f);
    printf("submitted %zu of %zu\n", accepted, s.n);
    free(ptrs);
    jobs_free(&s);
    return rc;
}

/* Polls until pred holds for every job or the time is up. */
static int poll_until(backend *b, job_set *s, double seconds, int want_running, char *err,
                      size_t errlen)
{
    job **ptrs = calloc(s->n + 1, sizeof *ptrs);
    backend_status *st = calloc(s->n + 1, sizeof *st);
    for (size_t i = 0; i < s->n; i++)
        ptrs[i] = &s->v[i];
    double deadline = mono_seconds() + seconds;
    int rc = -1;
    while (mono_seconds() < deadline) {
        if (b->ops->poll(b, ptrs, s->n, st, err, errlen) != 0)
            break;
        size_t done = 0;
        for (size_t i = 0; i < s->n; i++)
            done += want_running ? st[i].state == JOB_RUNNING || job_state_is_final(st[i].state)
                                 : job_state_is_final(st[i].state);
        if (done == s->n) {
            rc = 0;
            break;
        }
        sleep_seconds(0.5);
    }
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "jobs not %s within %.0f s", want_running ? "running" : "final",
                 seconds);
    for (size_t i = 0; i < s->n; i++)
        printf("%lld %s %d %s %s\n", s->v[i].id, job_state_name(st[i].state), st[i].exit_code,
               s->v[i].backend_id, st[i].reason[0] ? "reason" : "-");
    free(ptrs);
    free(st);
    return rc;
}

static int ours(const job_set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].backend_id && strcmp(s->v[i].backend_id, id) == 0)
            return 1;
    return 0;
}

/* The older tool's polling: every queue listed in every status, each poll; the jobs are
 * final when none of the experiment's is left in an active status. */
static int poll_queues(const config *cfg, job_set *s, double seconds, char *err, size_t errlen)
{
    static const char *const active[] = { "SUBMITTED", "PENDING", "RUNNABLE", "STARTING",
                                          "RUNNING" };
    static const char *const all[] = { "SUBMITTED", "PENDING", "RUNNABLE", "STARTING",
                                       "RUNNING", "SUCCEEDED", "FAILED" };
    aws_session_options so = { .region = cfg->region };
    aws_session *aws = NULL;
    aws_error e;
    if (aws_session_new(&so, &aws, &e) != 0) {
        snprintf(err, errlen, "session: %s", e.message);
        return -1;
    }
    char **queues = calloc(s->n + 1, sizeof *queues);
    size_t nq = 0;
    for (size_t i = 0; i < s->n; i++) {
        char q[BATCH_NAME_MAX];
        batch_queue_name(cfg, s->v[i].instance_type, q);
        size_t k = 0;
        while (k < nq && strcmp(queues[k], q) != 0)
            k++;
        if (k == nq)
            queues[nq++] = strdup(q);
    }
    size_t calls = 0, polls = 0;
    double deadline = mono_seconds() + seconds;
    int rc = -1;
    while (mono_seconds() < deadline) {
        size_t still = 0;
        polls++;
        for (size_t q = 0; q < nq; q++)
            for (size_t st = 0; st < sizeof all / sizeof *all; st++) {
                batch_list_query lq = { .job_queue = queues[q], .status = all[st] };
                batch_job_summary *v = NULL;
                size_t n = 0;
                calls++;
                if (batch_list_jobs(aws, &lq, &v, &n, &e) != 0) {
                    snprintf(err, errlen, "ListJobs: %s", e.message);
                    batch_job_summary_free(v, n);
                    goto out;
                }
                for (size_t a = 0; a < sizeof active / sizeof *active; a++)
                    if (strcmp(all[st], active[a]) == 0)
                        for (size_t k = 0; k < n; k++)
                            still += ours(s, v[k].job_id);
                batch_job_summary_free(v, n);
            }
        if (still == 0) {
            rc = 0;
            break;
        }
        sleep_seconds(0.5);
    }
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "jobs not final within %.0f s", seconds);
out:
    printf("queue polls %zu, ListJobs calls %zu\n", polls, calls);
    for (size_t q = 0; q < nq; q++)
        free(queues[q]);
    free(queues);
    aws_session_free(aws);
    return rc;
}

static int poll_twice(backend *b, job_set *s, char *err, size_t errlen)
{
    job **ptrs = calloc(s->n + 1, sizeof *ptrs);
    backend_status *st = calloc(s->n + 1, sizeof *st);
    for (size_t i = 0; i < s->n; i++)
        ptrs[i] = &s->v[i];
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        batch_backend_stats before, after;
        backend_batch_stats(b, &before);
        rc = b->ops->poll(b, ptrs, s->n, st, err, errlen);
        backend_batch_stats(b, &after);
        printf("poll %d of %zu jobs: %zu DescribeJobs calls\n", k + 1, s->n,
               after.describe_calls - before.describe_calls);
        sleep_seconds(1.2);   /* past the back-off after a poll that saw changes */
    }
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        printf("%lld %s %d %s %s\n", s->v[i].id, job_state_name(st[i].state), st[i].exit_code,
               s->v[i].backend_id, st[i].reason[0] ? "reason" : "-");
    free(ptrs);
    free(st);
    return rc;
}

/* Has a finished job's status what the journal records of it: Batch's times? */
static int has_times(const backend_status *st)
{
    return st->created_at > 0 && st->started_at > 0 && st->stopped_at > 0;
}

/* The run loop's view of polling: only the jobs not yet final are polled, and a job's state
 * is what the last poll said (the journal's). */
static int poll_all(backend *b, job_set *s, double seconds, char *err, size_t errlen)
{
    job **ptrs = calloc(s->n + 1, sizeof *ptrs);
    backend_status *st = calloc(s->n + 1, sizeof *st);
    size_t active = 0, polls = 0, calls = 0, worst = 0, untimed = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!job_state_is_final(s->v[i].state))
            ptrs[active++] = &s->v[i];
    double deadline = mono_seconds() + seconds;
    int rc = 0;
    while (active > 0 && rc == 0) {
        if (mono_seconds() > deadline) {
            snprintf(err, errlen, "%zu jobs not final within %.0f s", active, seconds);
            rc = -1;
            break;
        }
        batch_backend_stats before, after;
        backend_batch_stats(b, &before);
        rc = b->ops->poll(b, ptrs, active, st, err, errlen);
        backend_batch_stats(b, &after);
        size_t c = after.describe_calls - before.describe_calls, final = 0, timed = 0, k = 0;
        for (size_t i = 0; rc == 0 && i < active; i++) {
            ptrs[i]->state = st[i].state;
            ptrs[i]->exit_code = st[i].exit_code;
            if (!job_state_is_final(st[i].state)) {
                ptrs[k++] = ptrs[i];
                continue;
            }
            final++;
            timed += has_times(&st[i]);
        }
        polls++;
        calls += c;
        worst = c > worst ? c : worst;
        untimed += final - timed;
        printf("poll %zu of %zu jobs: %zu DescribeJobs calls, %zu final (%zu with Batch times)\n",
               polls, active, c, final, timed);
        active = k;
        if (active > 0)
            sleep_seconds(1.2);   /* past the back-off's minimum, kept while a backlog is left */
    }
    if (rc == 0)
        printf("polls %zu until all final: %zu DescribeJobs calls, at most %zu per poll, "
               "%zu final without Batch times\n", polls, calls, worst, untimed);
    free(ptrs);
    free(st);
    return rc;
}

static job *find_job(job_set *s, long long id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id == id)
            return &s->v[i];
    return NULL;
}

static int run(backend *b, const config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    const char *cmd = argv[1];
    if (strcmp(cmd, "submit") == 0 || strcmp(cmd, "submit-singly") == 0)
        return cmd_submit(b, cfg, argv[3], strcmp(cmd, "submit") != 0, err, errlen);
    job_set s = { 0 };
    if (argc < 4 || read_jobs(cfg, argv[3], &s) != 0) {
        snprintf(err, errlen, "cannot read the jobs file");
        return -1;
    }
    int rc = -1;
    if (strcmp(cmd, "wait") == 0 && argc > 4) {
        rc = poll_until(b, &s, atof(argv[4]), 0, err, errlen);
    } else if (strcmp(cmd, "running") == 0 && argc > 4) {
        rc = poll_until(b, &s, atof(argv[4]), 1, err, errlen);
    } else if (strcmp(cmd, "wait-queues") == 0 && argc > 4) {
        rc = poll_queues(cfg, &s, atof(argv[4]), err, errlen);
    } else if (strcmp(cmd, "poll2") == 0) {
        if (argc > 4 && read_states(argv[4], &s) != 0)
            snprintf(err, errlen, "cannot read the states file");
        else
            rc = poll_twice(b, &s, err, errlen);
    } else if (strcmp(cmd, "poll-all") == 0) {
        if (argc > 4 && read_states(argv[4], &s) != 0)
            snprintf(err, errlen, "cannot read the states file");
        else
            rc = poll_all(b, &s, 300, err, errlen);
    } else if (strcmp(cmd, "kill") == 0) {
        rc = 0;
        for (size_t i = 0; i < s.n && rc == 0; i++)
            rc = b->ops->cancel(b, &s.v[i], err, errlen);
    } else if (strcmp(cmd, "log") == 0 && argc > 5) {
        job *j = find_job(&s, atoll(argv[4]));
        rc = j ? b->ops->fetch_log(b, j, argv[5], err, errlen) : -1;
    } else if (strcmp(cmd, "recover") == 0 && argc > 4) {
        job *j = find_job(&s, atoll(argv[4]));
        if (j) {
            free(j->backend_id);
            j->backend_id = NULL;
            rc = b->ops->recover(b, j, err, errlen);
            printf("recovered %s\n", j->backend_id ? j->backend_id : "(none)");
        }
    } else {
        snprintf(err, errlen, "unknown command %s", cmd);
    }
    jobs_free(&s);
    return rc;
}

int main(int argc, char **argv)
{
    log_init(argv[0], getenv("DRIVER_DEBUG") ? LOG_DEBUG : LOG_INFO);
    if (argc < 3) {
        fprintf(stderr, "usage: batch_driver COMMAND CFG [ARGS]\n");
        return 2;
    }
    char err[1024] = "";
    config cfg;
    if (config_load(argv[2], &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "batch_driver: %s\n", err);
        return 1;
    }
    int rc;
    batch_setup_options so = { .wait_seconds = 60 };
    if (strcmp(argv[1], "setup") == 0) {
        rc = batch_setup(&cfg, &so, err, sizeof err);
    } else if (strcmp(argv[1], "teardown") == 0) {
        rc = batch_teardown(&cfg, &so, err, sizeof err);
    } else {
        backend *b = backend_batch_new(&cfg, err, sizeof err);
        rc = b ? run(b, &cfg, argc, argv, err, sizeof err) : -1;
        if (b) {
            print_stats(b);
            b->ops->destroy(b);
        }
    }
    if (rc != 0)
        fprintf(stderr, "batch_driver %s: %s\n", argv[1], err);
    config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

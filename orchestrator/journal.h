/* The orchestrator's state: one SQLite database per output directory (OUTPUT/state.db, WAL
 * mode, one transaction per state change). It holds experiments, their planned points, jobs
 * with their backend ids and states, and the collected results, so a rerun after a crash
 * neither loses nor repeats a job, and `status`/`report` are queries over it.
 *
 * Crash safety of submission: a job is marked "submit pending" (a committed intent) before the
 * backend is called and gets its backend id in the next commit. A job found pending with no
 * id after a crash is asked after through the backend's recover operation (backend.h), never
 * blindly resubmitted.
 *
 * Ownership: journal_open() allocates, journal_close() frees. Loaded rows are owned by the
 * caller and freed with journal_jobs_free(). Every function returns 0 or -1 with err filled. */
#ifndef ORCHESTRATOR_JOURNAL_H
#define ORCHESTRATOR_JOURNAL_H

#include <stddef.h>

#include "orchestrator/backend.h"
#include "orchestrator/job.h"

typedef struct journal journal;

int  journal_open(const char *path, journal **out, char *err, size_t errlen);
void journal_close(journal *jn);

/* Several changes as one transaction (planning a round of jobs). Not nested. */
int journal_begin(journal *jn, char *err, size_t errlen);
int journal_commit(journal *jn, char *err, size_t errlen);
void journal_rollback(journal *jn);

/* Finds the experiment by name or creates it; config_text is the config as read (kept for
 * the report). *id is set either way. */
int journal_experiment(journal *jn, const char *name, const char *config_path,
                       const char *config_text, const char *backend_name, long long *id,
                       char *err, size_t errlen);
/* 0 and *id, or -1 (err: no such experiment). */
int journal_experiment_find(journal *jn, const char *name, long long *id, char *err,
                            size_t errlen);

/* Adds a point unless its tag exists already; *point_id is set either way and *created says
 * which. params_json is plan_point_params_json(). */
int journal_point_add(journal *jn, long long exp_id, const char *tag, int round,
                      const char *params_json, int nodes, int gpus, long long *point_id,
                      int *created, char *err, size_t errlen);

/* Adds a job (state planned) unless (experiment, instance type, point, replicate) exists. */
int journal_job_add(journal *jn, long long exp_id, long long point_id,
                    const char *instance_type, int replicate, int round,
                    const char *result_url, long long *job_id, int *created, char *err,
                    size_t errlen);

typedef struct journal_job {
    long long id;
    long long point_id;
    char *instance_type;
    char *point_tag;
    char *params_json;
    int nodes, gpus;
    int replicate;
    int round;
    job_state state;
    int submit_pending;      /* intent committed, backend id not yet recorded */
    int attempts;            /* submissions so far (stall resubmissions add one) */
    char *backend_id;        /* NULL before submission */
    int exit_code;           /* -1 unknown */
    char *reason;            /* the backend's word on a failure, or NULL */
    char *result_url;
    double submitted_at, started_at, stopped_at, created_at, updated_at; /* epoch s, 0 unknown */
    int collected;           /* a results row exists */
} journal_job;

typedef enum journal_filter {
    JOURNAL_ALL = 0,
    JOURNAL_ACTIVE,          /* planned, submitted, running */
    JOURNAL_FINAL            /* succeeded, failed, cancelled */
} journal_filter;

int  journal_jobs(journal *jn, long long exp_id, journal_filter f, journal_job **out,
                  size_t *n, char *err, size_t errlen);
void journal_jobs_free(journal_job *v, size_t n);

int journal_job_submit_intent(journal *jn, long long job_id, char *err, size_t errlen);
/* Records the backend id (state submitted, attempts + 1, submit intent cleared). */
int journal_job_submitted(journal *jn, long long job_id, const char *backend_id,
                          char *err, size_t errlen);
/* The backend found no trace of a pending submission: back to planned. */
int journal_job_submit_cleared(journal *jn, long long job_id, char *err, size_t errlen);
/* A non-final state change from a poll (submitted → running, times). */
int journal_job_progress(journal *jn, long long job_id, const backend_status *st,
                         char *err, size_t errlen);
/* A stalled job goes back to planned for resubmission (backend id dropped). */
int journal_job_requeue(journal *jn, long long job_id, const char *reason, char *err,
                        size_t errlen);

/* What collect.c read from a job's summary.json. NAN = not available. */
typedef struct journal_result {
    char *status;                    /* summary.json "status", or NULL */
    int exit_code;                   /* -1 unknown */
    int signal;                      /* 0 none */
    double wall_seconds, cpu_seconds, cpu_user_seconds, cpu_system_seconds;
    double peak_memory_bytes, cgroup_peak_memory_bytes;
    double disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes;
    double custom_metric;
    char *custom_metric_reason;
    char *custom_metrics_json;       /* {"name":value,...} or NULL */
    char *summary_json;              /* the whole document, or NULL when none was found */
    char *result_dir;                /* relative to the output dir: runs/TYPE/TAG/REP */
    double queue_seconds;            /* startedAt - createdAt, NAN unknown */
} journal_result;

void journal_result_init(journal_result *r);   /* NANs, -1, NULLs */
void journal_result_free(journal_result *r);

/* The job's final state and its collected result, in one transaction. */
int journal_job_finish(journal *jn, long long job_id, job_state final_state,
                       const backend_status *st, const journal_result *r, char *err,
                       size_t errlen);
/* Loads the collected result of a job; 1 found, 0 none, -1 error. */
int journal_job_result(journal *jn, long long job_id, journal_result *r, char *err,
                       size_t errlen);

/* Small per-experiment values (the search's warm-start state, the last proposal round). */
int journal_kv_set(journal *jn, long long exp_id, const char *key, const char *value,
                   char *err, size_t errlen);
/* *value is a new string (caller frees) or NULL when the key is not set. */
int journal_kv_get(journal *jn, long long exp_id, const char *key, char **value, char *err,
                   size_t errlen);

/* Counts of the experiment's jobs per state (indexed by job_state, JOB_CANCELLED + 1). */
int journal_counts(journal *jn, long long exp_id, size_t counts[JOB_CANCELLED + 1],
                   char *err, size_t errlen);
/* The highest round planned so far (-1 when none). */
int journal_max_round(journal *jn, long long exp_id, int *round, char *err, size_t errlen);

#endif

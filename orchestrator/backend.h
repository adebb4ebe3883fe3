/* A backend runs jobs somewhere: `local` (processes or podman/docker containers on this
 * machine) or `batch` (AWS Batch). The orchestrator's run loop only talks to this table of
 * operations; each backend keeps its own state behind `self`.
 *
 * Every operation returns 0 on success or -1 with a message in err (errlen bytes), reported
 * once by the caller. */
#ifndef ORCHESTRATOR_BACKEND_H
#define ORCHESTRATOR_BACKEND_H

#include <stddef.h>

#include "orchestrator/job.h"

struct config;

typedef struct backend_status {
    job_state state;
    int exit_code;          /* -1 when not known */
    double created_at;      /* epoch seconds, 0 when not known */
    double started_at;
    double stopped_at;
    char reason[256];       /* the backend's word on a failure, or "" */
    /* When the running job last showed signs of life (a new time-series row, a log event),
     * epoch seconds; 0 when the backend cannot tell. A running job silent for longer than
     * the config's stall_timeout is terminated and resubmitted. */
    double progress_at;
} backend_status;

typedef struct backend backend;
typedef struct backend_ops {
    const char *name;
    /* Accepts up to n jobs (a backend may submit replicates as one array job); sets each
     * submitted job's backend_id and returns how many were accepted in *accepted. */
    int (*submit)(backend *b, job **jobs, size_t n, size_t *accepted, char *err, size_t errlen);
    /* Fills st[i] for jobs[i]; batches requests (Batch: 100 ids per DescribeJobs). */
    int (*poll)(backend *b, job **jobs, size_t n, backend_status *st, char *err, size_t errlen);
    int (*cancel)(backend *b, job *j, char *err, size_t errlen);
    /* After a crash between the journal's submit intent and the recorded backend id: finds
     * the job if the backend has it (Batch: ListJobs by job name, which carries the journal
     * id j->id) and sets j->backend_id, or leaves it NULL when it was never submitted.
     * May be NULL: such jobs are then treated as never submitted. */
    int (*recover)(backend *b, job *j, char *err, size_t errlen);
    /* Saves the job's log tail (Batch: its CloudWatch stream) to path; may be NULL. */
    int (*fetch_log)(backend *b, const job *j, const char *path, char *err, size_t errlen);
    void (*destroy)(backend *b);
} backend_ops;

struct backend {
    const backend_ops *ops;
    void *self;
};

backend *backend_local_new(const struct config *cfg, char *err, size_t errlen);
backend *backend_batch_new(const struct config *cfg, char *err, size_t errlen);

#endif

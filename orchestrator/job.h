/* A job is one run of the workload: experiment × instance type × parameter point ×
 * replicate. Its results live under RESULTS_ROOT/EXPERIMENT/INSTANCE_TYPE/POINT_TAG/REPLICATE/
 * (shared/DESIGN.md, "Data contracts"). */
#ifndef ORCHESTRATOR_JOB_H
#define ORCHESTRATOR_JOB_H

#include <stddef.h>

typedef enum job_state {
    JOB_PLANNED = 0,   /* in the journal, not yet handed to a backend */
    JOB_SUBMITTED,     /* the backend accepted it (backend_id known) */
    JOB_RUNNING,
    JOB_SUCCEEDED,     /* the workload exited 0 and its results were collected */
    JOB_FAILED,        /* non-zero exit, a signal, a timeout, or lost results */
    JOB_CANCELLED      /* terminated by `orchestrate kill` */
} job_state;

const char *job_state_name(job_state s);
int job_state_parse(const char *name, job_state *out);   /* 0 or -1 */
int job_state_is_final(job_state s);

typedef struct job {
    long long id;            /* journal row id */
    char *experiment;
    char *instance_type;
    char *point_tag;         /* stable readable encoding of the parameter values */
    int replicate;           /* 0-based */
    int nodes;               /* nodes per run (multi-node); 0: 1 */
    int gpus;                /* GPUs per node; 0: none */
    char **argv;             /* the command with ARGS expanded; NULL-terminated */
    char **env;              /* extra KEY=VALUE for the job; NULL-terminated, may be NULL */
    char *backend_id;        /* the backend's handle: a PID, container name or Batch job id */
    job_state state;
    int exit_code;           /* -1 unknown */
    char *result_url;        /* s3://bucket/prefix/exp/type/tag/rep/ or a local directory */
} job;

void job_free_fields(job *j);   /* frees every owned field; not j itself */

#endif

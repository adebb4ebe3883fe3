/* The AWS Batch backend (backend_batch_new() is declared in backend.h). This header holds
 * what setup and the tests share with it: how a job definition is sized and how jobs are
 * grouped into array jobs.
 *
 * How jobs reach their container (the image's ENTRYPOINT is monitor_system):
 *   command     = [monitor_args..., --instance-type T, --result-url URL, --cmd, argv...]
 *                 (--result-url is left out for array jobs: see below)
 *   environment = MONITOR_RESULT_URL, MONITOR_INSTANCE_TYPE, ORCH_EXPERIMENT, ORCH_POINT_TAG,
 *                 ORCH_REPLICATE and the job's env as overrides; the config's env (the
 *                 same for every job) is in the job definition.
 *   queue-per-type: a point's consecutive replicates become ONE array job; every child gets
 *                 MONITOR_RESULT_URL = the point's directory and ORCH_ARRAY_REPLICATE_BASE,
 *                 and monitor_system derives its replicate (common/batch_array.h). Children
 *                 are tracked as "ARRAYID:INDEX".
 *   mnp:          one SubmitJob per job (Batch has no arrays of multi-node jobs). The
 *                 command and environment go in nodeOverrides (AWS honours them); the
 *                 definition's command is Ref::cNNN placeholders filled from the job's
 *                 parameters as well, because moto ignores nodeOverrides. */
#ifndef ORCHESTRATOR_BACKEND_BATCH_H
#define ORCHESTRATOR_BACKEND_BATCH_H

#include <stddef.h>

#include "orchestrator/backend.h"
#include "orchestrator/batch_api.h"
#include "orchestrator/config.h"

/* The container size for a job on instance type T: every vCPU, the memory less what the
 * ECS agent and OS keep (max(512 MiB, 1/16)), GPUs as asked. 0, or -1 when T is not in the
 * built-in table (err says so). */
int batch_container_size(const char *instance_type, int gpus, double *vcpus,
                         long long *memory_mib, char *err, size_t errlen);

/* How many of jobs[0..n) starting at jobs[0] can be one array job: same instance type and
 * point, nodes <= 1, consecutive journal ids and replicates, result URLs POINT_DIR/REP/.
 * At most 10,000 (Batch's limit). Always >= 1 for n >= 1. */
size_t batch_array_run(job *const *jobs, size_t n);
/* The point directory of a job's result URL (the URL without its last "REP/"), caller frees;
 * NULL when the URL does not end in the job's replicate. */
char *batch_point_url(const job *j);

/* The stall check of running jobs (config stall_timeout > 0). Each job's command gets
 * `--checkpoint N`, N = max(5, stall_timeout/4) s (0 here: off, or the config's
 * monitor_args choose their own --checkpoint), so a live job's timeseries.csv in S3 is
 * rewritten well within the timeout; poll sets a running job's progress_at to that
 * object's LastModified (while there is none yet, its start, or when this process first
 * saw it running if Batch's startedAt is not known yet). One ListObjectsV2 per running
 * point prefix (batch_progress_prefix, which an array's replicates share), at most once
 * per batch_progress_period(cfg, current poll interval) seconds. */
int batch_checkpoint_seconds(const config *cfg);
double batch_progress_period(const config *cfg, double poll_interval);
/* The S3 prefix listed for the job: its point directory, else its own result URL with a
 * trailing slash; NULL without a result URL. Caller frees. */
char *batch_progress_prefix(const job *j);

/* The length of an mnp job's command (monitor_system's arguments) for a workload argv of
 * argc elements: the argc of its job definition's Ref:: placeholders. */
size_t batch_mnp_command_length(const config *cfg, size_t argc);

/* What the journal distinguishes among an array's children: Batch's statuses fold into
 * these (SUBMITTED/PENDING/RUNNABLE -> queued, STARTING/RUNNING -> running). */
enum { BATCH_CLASS_QUEUED, BATCH_CLASS_RUNNING, BATCH_CLASS_SUCCEEDED, BATCH_CLASS_FAILED,
       BATCH_N_CLASSES };
/* summary (per batch_job_status) folded into classes. */
void batch_summary_classes(const int summary[BATCH_STATUS_UNKNOWN], int cls[BATCH_N_CLASSES]);
/* Does the parent's status summary (array_size children) say nothing beyond what is known
 * already of n_known of its children (their classes counted in known; failed includes
 * cancelled)? The other children must be final (the run loop polls only active jobs) and
 * make up exactly the summary's final children not accounted for. 1: agrees, so the
 * children need not be described. */
int batch_summary_agrees(const int summary[BATCH_STATUS_UNKNOWN], int array_size,
                         const int known[BATCH_N_CLASSES], int n_known);
/* Every polled child's class from the parent's status summary alone, without describing
 * the children: BATCH_CLASS_QUEUED or BATCH_CLASS_RUNNING when the summary counts all
 * array_size children, the n_polled ones' worth of them in that one class and the others
 * (final, as for batch_summary_agrees) as final; else -1. A final class is never inferred:
 * the journal needs a finished child's exit code, reason and Batch times, which only its
 * description gives. */
int batch_summary_infer(const int summary[BATCH_STATUS_UNKNOWN], int array_size, int n_polled);

/* A child waiting to be described: its array's summary shows a change that neither agrees
 * with what is known nor can be inferred. */
typedef struct batch_pick {
    size_t job;                   /* its index among the polled jobs */
    const char *id;               /* its backend id (borrowed) */
    unsigned long waiting_since;  /* the poll since which its array has waited (from 1) */
    unsigned long described;      /* the poll that last described it, 0: none */
} batch_pick;
/* Sorts v by who goes first (the array waiting longest, then the child described least
 * recently, then by id, which keeps an array's children together) and returns how many of
 * the first are described in this poll: at most budget (one DescribeJobs: 100). So no
 * change waits behind later ones, and a big array is described in turns. */
size_t batch_pick_children(batch_pick *v, size_t n, size_t budget);

/* API calls this backend made, for `make bench` and the tests (register_calls counts job
 * definitions looked up and, when missing, registered: once per definition per run). */
typedef struct batch_backend_stats {
    size_t submit_calls, describe_calls, register_calls, list_calls, terminate_calls;
    size_t progress_list_calls;   /* ListObjectsV2 of running points (the stall check) */
} batch_backend_stats;
void backend_batch_stats(const backend *b, batch_backend_stats *out);

/* Finds or registers the job definition for (instance type, nodes, gpus, argc), reusing an
 * ACTIVE revision whose content fingerprint tag matches. *arn is owned by the caller.
 * Used by the backend (lazily) and by `orchestrate setup`. argc: 0 for a container
 * definition, the command length for an mnp one. */
int batch_ensure_job_definition(aws_session *s, const config *cfg, const char *instance_type,
                                int nodes, int gpus, int argc, char **arn, char *err,
                                size_t errlen);

#endif

/* The names of the AWS Batch resources a config uses, shared by the batch backend and by
 * `orchestrate setup|teardown` so both always agree:
 *
 *   pinning mnp:            one compute environment PREFIX-ce (every planned type) and one
 *                           queue (batch.job_queue, default PREFIX-queue); each job is a
 *                           one-node (or N-node) multi-node-parallel job whose definition
 *                           names its instanceType.
 *   pinning queue-per-type: per instance type T a compute environment and a queue, both
 *                           PREFIX-T (dots become '-'), allowing only T.
 *   job definitions:        PREFIX-T[-nN][-gG][-aA] (N nodes > 1, G GPUs, A: the argv length
 *                           of an mnp definition whose command is Ref:: placeholders).
 *
 * PREFIX is batch.name_prefix, default "orchestrate". Every out buffer holds at least
 * BATCH_NAME_MAX bytes; names are [A-Za-z0-9_-] and at most 128 characters. */
#ifndef ORCHESTRATOR_BATCH_NAMES_H
#define ORCHESTRATOR_BATCH_NAMES_H

#include <stddef.h>

#include "orchestrator/config.h"

#define BATCH_NAME_MAX 129

void batch_name_prefix(const config *cfg, char out[BATCH_NAME_MAX]);
void batch_queue_name(const config *cfg, const char *instance_type, char out[BATCH_NAME_MAX]);
void batch_ce_name(const config *cfg, const char *instance_type, char out[BATCH_NAME_MAX]);
void batch_jobdef_name(const config *cfg, const char *instance_type, int nodes, int gpus,
                       int argc, char out[BATCH_NAME_MAX]);
/* Job names carry the journal ids so a crashed run can find its jobs again (recover):
 * EXP_jID for one job, EXP_jFIRST_nCOUNT for an array of COUNT consecutive ids. */
void batch_job_name(const config *cfg, long long first_id, int count, char out[BATCH_NAME_MAX]);
/* The ListJobs JOB_NAME filter matching every job of the experiment ("EXP_j*"). */
void batch_job_name_filter(const config *cfg, char out[BATCH_NAME_MAX]);
/* Reads a job name back: 0 with *first_id and *count (1 for a single job), or -1 when the
 * name is not one of this experiment's. */
int batch_job_name_parse(const config *cfg, const char *name, long long *first_id, int *count);

#endif

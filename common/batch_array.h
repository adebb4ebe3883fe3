/* Where an AWS Batch array child puts its results. The orchestrator submits a point's
 * replicates as one array job: every child gets the same command and environment, so each
 * works out its own replicate number here (monitor_system calls this at start-up):
 *
 *   replicate  = ORCH_ARRAY_REPLICATE_BASE + array index
 *   array index: AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch), else the ":N" suffix of
 *                AWS_BATCH_JOB_ID (moto's Batch sets only that)
 *   result URL = MONITOR_RESULT_URL (the point's directory, ending in '/') + replicate + "/"
 *
 * Pure: the caller passes the environment values (NULL when unset). */
#ifndef COMMON_BATCH_ARRAY_H
#define COMMON_BATCH_ARRAY_H

/* 0: not an array child (replicate_base NULL or empty; nothing set). 1: *url (caller frees)
 * and *replicate set. -1: the variables are malformed (no index, bad numbers, no URL). */
int batch_array_child(const char *point_url, const char *replicate_base,
                      const char *array_index, const char *job_id, char **url,
                      int *replicate);

#endif

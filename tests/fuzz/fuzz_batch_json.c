/* Every parser of AWS Batch and CloudWatch Logs responses (orchestrator/batch_api.c,
 * orchestrator/cloudwatch_logs.c) on arbitrary bytes: no crash, no leak, and what is
 * parsed has its required fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "orchestrator/batch_api.h"
#include "orchestrator/cloudwatch_logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size + 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';

    batch_job_info *jobs = NULL;
    size_t n_jobs = 0;
    batch_parse_describe_jobs(body, &jobs, &n_jobs);
    for (size_t i = 0; i < n_jobs; i++)
        if (!jobs[i].job_id || jobs[i].status > BATCH_STATUS_UNKNOWN)
            abort();
    batch_job_info_free(jobs, n_jobs);

    batch_job_summary *sums = NULL;
    size_t n_sums = 0;
    char *next = NULL;
    batch_parse_list_jobs(body, &sums, &n_sums, &next);
    for (size_t i = 0; i < n_sums; i++)
        if (!sums[i].job_id || !sums[i].job_name)
            abort();
    batch_job_summary_free(sums, n_sums);
    free(next);

    batch_resource *res = NULL;
    size_t n_res = 0;
    next = NULL;
    batch_parse_resources(body, "jobQueues", &res, &n_res, &next);
    free(next);
    next = NULL;
    batch_parse_resources(body, "computeEnvironments", &res, &n_res, &next);
    for (size_t i = 0; i < n_res; i++)
        if (!res[i].name)
            abort();
    batch_resource_free(res, n_res);
    free(next);

    char *arn = NULL;
    next = NULL;
    batch_parse_find_job_definition(body, "fp", "x", &arn, &next);
    free(arn);
    free(next);
    char *s = NULL;
    if (batch_parse_submit_job(body, &s) == 0 && !s)
        abort();
    free(s);
    s = NULL;
    batch_parse_register_job_definition(body, &s);
    free(s);

    strbuf sb = STRBUF_INIT;
    size_t n_events = 0;
    cwl_parse_log_events(body, &sb, &n_events);
    sb_free(&sb);
    free(body);
    return 0;
}

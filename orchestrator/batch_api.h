/* Typed wrappers over the AWS Batch REST-JSON API (POST /v1/<operation>), signed and retried
 * by uploader/aws.h. Each operation is split in three so the JSON can be tested without a
 * server: batch_build_*() makes the request body, batch_parse_*() reads the response, and the
 * plain function does the call.
 *
 * Ownership: strings and arrays returned through out-parameters are allocated here and freed
 * by the caller (free(), or the matching *_free()). Input structs are borrowed.
 * Errors: -1 with err filled (the AWS error code and message when the service answered). */
#ifndef ORCHESTRATOR_BATCH_API_H
#define ORCHESTRATOR_BATCH_API_H

#include <stddef.h>

#include "uploader/aws.h"

/* DescribeJobs accepts at most this many job ids per call. */
#define BATCH_DESCRIBE_MAX 100

typedef struct batch_kv {
    const char *name;
    const char *value;
} batch_kv;

/* ---- job definitions ---------------------------------------------------------------- */

typedef struct batch_container_spec {
    const char *image;
    double vcpus;                  /* resourceRequirements VCPU */
    long long memory_mib;          /* resourceRequirements MEMORY */
    int gpus;                      /* resourceRequirements GPU; 0: none */
    const char *const *command;    /* default command, or NULL */
    size_t n_command;
    const batch_kv *env;           /* default environment */
    size_t n_env;
    const char *job_role_arn;      /* or NULL */
    const char *execution_role_arn;/* or NULL */
    const char *instance_type;     /* multinode only: the type every node runs on */
} batch_container_spec;

typedef struct batch_job_definition {
    const char *name;              /* [A-Za-z0-9_-]{1,128} */
    int multinode;                 /* 0: type "container"; 1: type "multinode" */
    int num_nodes;                 /* multinode: >= 1 */
    batch_container_spec container;
    int timeout_seconds;           /* attemptDurationSeconds (>= 60 on AWS); 0: none */
    int retry_attempts;            /* retryStrategy.attempts (1..10); 0: not given */
    const batch_kv *parameters;    /* defaults for Ref:: substitution */
    size_t n_parameters;
    const batch_kv *tags;
    size_t n_tags;
} batch_job_definition;

char *batch_build_register_job_definition(const batch_job_definition *d);
/* {"jobDefinitionArn": ...}: *arn (caller frees). 0 or -1. */
int batch_parse_register_job_definition(const char *body, char **arn);
int batch_register_job_definition(aws_session *s, const batch_job_definition *d, char **arn,
                                  aws_error *err);

/* The newest ACTIVE revision of a job definition named NAME whose tag KEY equals VALUE:
 * 0 and *arn (caller frees; NULL when none matches) or -1. */
int batch_find_job_definition(aws_session *s, const char *name, const char *tag_key,
                              const char *tag_value, char **arn, aws_error *err);
int batch_parse_find_job_definition(const char *body, const char *tag_key,
                                    const char *tag_value, char **arn, char **next_token);
/* Deregisters every ACTIVE revision of NAME; *count says how many. */
int batch_deregister_job_definitions(aws_session *s, const char *name, int *count,
                                     aws_error *err);

/* ---- jobs ----------------------------------------------------------------------------- */

typedef struct batch_submit {
    const char *job_name;          /* [A-Za-z0-9_-]{1,128} */
    const char *job_queue;
    const char *job_definition;    /* name, name:revision or ARN */
    int array_size;                /* >= 2: an array job (children "ID:0".."ID:N-1"); else 0 */
    const char *const *command;    /* containerOverrides.command, or NULL: the definition's */
    size_t n_command;
    const batch_kv *env;           /* containerOverrides.environment */
    size_t n_env;
    const batch_kv *parameters;    /* Ref:: substitution values */
    size_t n_parameters;
    int multinode;                 /* 1: overrides go to nodeOverrides for every node */
    int num_nodes;                 /* multinode: numNodes override; 0: the definition's */
    int timeout_seconds;           /* 0: the definition's */
    const batch_kv *tags;
    size_t n_tags;
} batch_submit;

char *batch_build_submit_job(const batch_submit *j);
int batch_parse_submit_job(const char *body, char **job_id);
int batch_submit_job(aws_session *s, const batch_submit *j, char **job_id, aws_error *err);

typedef enum batch_job_status {
    BATCH_SUBMITTED = 0, BATCH_PENDING, BATCH_RUNNABLE, BATCH_STARTING, BATCH_RUNNING,
    BATCH_SUCCEEDED, BATCH_FAILED, BATCH_STATUS_UNKNOWN
} batch_job_status;

batch_job_status batch_status_parse(const char *s);
const char *batch_status_name(batch_job_status s);

/* What DescribeJobs says about one job (an array child "ID:N" is a job of its own). */
typedef struct batch_job_info {
    char *job_id;
    char *job_name;
    batch_job_status status;
    char *status_reason;           /* statusReason, else container.reason; or NULL */
    int exit_code;                 /* container.exitCode, else the last attempt's; -1 */
    double created_at, started_at, stopped_at;  /* epoch seconds; 0 when absent */
    char *log_stream_name;         /* container.logStreamName or the last attempt's; NULL */
    int array_size;                /* a parent array job: arrayProperties.size; else 0 */
    int has_summary;               /* a parent: arrayProperties.statusSummary was given */
    int summary[BATCH_STATUS_UNKNOWN];  /* a parent: children per status */
    int array_index;               /* a child: arrayProperties.index; else -1 */
    int n_attempts;
} batch_job_info;

void batch_job_info_free(batch_job_info *v, size_t n);   /* frees the fields and v */

char *batch_build_describe_jobs(const char *const *ids, size_t n);
/* Appends the response's jobs to *v (*n of them, grown with realloc). 0 or -1. */
int batch_parse_describe_jobs(const char *body, batch_job_info **v, size_t *n);
/* Describes any number of ids, BATCH_DESCRIBE_MAX per call; *v in no particular order
 * (ids the service does not know are simply absent). *calls counts the requests made. */
int batch_describe_jobs(aws_session *s, const char *const *ids, size_t n, batch_job_info **v,
                        size_t *nv, size_t *calls, aws_error *err);

/* A job as ListJobs sums it up. */
typedef struct batch_job_summary {
    char *job_id;
    char *job_name;
    batch_job_status status;
    double created_at;
} batch_job_summary;

void batch_job_summary_free(batch_job_summary *v, size_t n);

typedef struct batch_list_query {
    const char *job_queue;         /* or NULL with array_job_id */
    const char *array_job_id;      /* children of an array job, or NULL */
    const char *name_filter;       /* JOB_NAME filter ("prefix*" allowed), or NULL */
    const char *status;            /* jobStatus, or NULL (with name_filter: every status) */
} batch_list_query;

char *batch_build_list_jobs(const batch_list_query *q, const char *next_token);
int batch_parse_list_jobs(const char *body, batch_job_summary **v, size_t *n,
                          char **next_token);
/* Every page of the listing (nextToken followed). */
int batch_list_jobs(aws_session *s, const batch_list_query *q, batch_job_summary **v,
                    size_t *n, aws_error *err);

int batch_terminate_job(aws_session *s, const char *job_id, const char *reason, aws_error *err);
int batch_cancel_job(aws_session *s, const char *job_id, const char *reason, aws_error *err);

/* ---- compute environments and queues ---------------------------------------------------- */

typedef struct batch_compute_env {
    const char *name;
    int spot;                      /* 0: "EC2", 1: "SPOT" */
    const char *const *instance_types;
    size_t n_instance_types;
    int min_vcpus, max_vcpus;
    const char *const *subnets;
    size_t n_subnets;
    const char *const *security_groups;
    size_t n_security_groups;
    const char *instance_role;     /* instance profile name or ARN */
    const char *service_role;      /* or NULL: Batch's service-linked role */
    const batch_kv *tags;
    size_t n_tags;
} batch_compute_env;

char *batch_build_create_compute_environment(const batch_compute_env *ce);
int batch_create_compute_environment(aws_session *s, const batch_compute_env *ce,
                                     aws_error *err);
/* state "ENABLED"/"DISABLED" */
int batch_update_compute_environment_state(aws_session *s, const char *name, const char *state,
                                           aws_error *err);
int batch_delete_compute_environment(aws_session *s, const char *name, aws_error *err);

int batch_create_job_queue(aws_session *s, const char *name, int priority,
                           const char *const *compute_envs, size_t n, aws_error *err);
char *batch_build_create_job_queue(const char *name, int priority,
                                   const char *const *compute_envs, size_t n);
int batch_update_job_queue_state(aws_session *s, const char *name, const char *state,
                                 aws_error *err);
int batch_delete_job_queue(aws_session *s, const char *name, aws_error *err);

/* A compute environment or queue as Describe* reports it. */
typedef struct batch_resource {
    char *name;
    char *arn;
    char *state;                   /* ENABLED | DISABLED */
    char *status;                  /* CREATING | UPDATING | DELETING | DELETED | VALID | INVALID */
    char *status_reason;           /* or NULL */
} batch_resource;

void batch_resource_free(batch_resource *v, size_t n);
/* kind "computeEnvironments" or "jobQueues": the response's list. */
int batch_parse_resources(const char *body, const char *kind, batch_resource **v, size_t *n,
                          char **next_token);
/* Describes the named resources (all of them when n == 0), every page. */
int batch_describe_compute_environments(aws_session *s, const char *const *names, size_t n,
                                        batch_resource **v, size_t *nv, aws_error *err);
int batch_describe_job_queues(aws_session *s, const char *const *names, size_t n,
                              batch_resource **v, size_t *nv, aws_error *err);

/* ---- helpers ------------------------------------------------------------------------------ */

/* Copies s into out (outlen bytes) keeping only [A-Za-z0-9_-] (others become '-') and at
 * most maxlen characters: a valid Batch resource or job name part. */
void batch_sanitize_name(const char *s, size_t maxlen, char *out, size_t outlen);

#endif

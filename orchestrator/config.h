/* The experiment configuration: what to run, where, how often, with which parameters, and
 * (optionally) how to search them. Loaded from YAML (config_yaml.c, man/orchestrate.yaml.5)
 * or from the older Python tool's benchmark_config.json (config_legacy_json.c); both fill
 * the same struct, so nothing downstream knows which form was read.
 *
 * Ownership: config_load() fills a caller-owned struct config; config_free() releases every
 * field (not the struct itself). All strings are heap copies owned by the config.
 * Errors: config_load() returns -1 with "FILE:LINE:COLUMN: message" in err. */
#ifndef ORCHESTRATOR_CONFIG_H
#define ORCHESTRATOR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef enum config_backend_kind {
    CONFIG_BACKEND_LOCAL = 0,    /* this machine: processes or podman/docker containers */
    CONFIG_BACKEND_BATCH         /* AWS Batch */
} config_backend_kind;

/* ---- workload parameters ------------------------------------------------------------ */

typedef enum param_kind {
    PARAM_INT = 0,
    PARAM_FLOAT,
    PARAM_CATEGORICAL,           /* unordered values */
    PARAM_ORDINAL                /* ordered values (order as written) */
} param_kind;

typedef enum param_scale {
    PARAM_SCALE_LINEAR = 0,
    PARAM_SCALE_LOG              /* int/float only; min > 0 */
} param_scale;

typedef struct config_param {
    char *name;          /* [A-Za-z_][A-Za-z0-9_]*: used in point tags, {name} and param_NAME */
    param_kind kind;
    param_scale scale;
    int has_range;       /* int/float: min/max given */
    double min, max;     /* inclusive bounds (int: whole numbers) */
    /* Explicit values as they appear on the command line. Required for categorical and
     * ordinal; optional for int/float (then they are the grid of a plain plan). Numeric
     * values were checked to parse and to lie within min/max when a range is given. */
    char **values;
    size_t n_values;
    int count;           /* int/float with a range and no values: grid points (0: not given) */
} config_param;

/* ---- search ---------------------------------------------------------------------------- */

typedef enum search_method {
    SEARCH_NONE = 0,     /* no search section: the plain plan (full factorial of values) */
    SEARCH_GRID,         /* full factorial with per-dimension values or counts */
    SEARCH_RANDOM,       /* seeded random */
    SEARCH_BAYES         /* Gaussian process + expected improvement */
} search_method;

typedef struct config_search {
    search_method method;
    int iterations;           /* rounds of proposals (>= 1); 0 when method is NONE */
    int parallel_samples;     /* q: points proposed per round (>= 1) */
    int initial_points;       /* size of the initial design; 0: the search chooses */
    char *initial_design;     /* "sobol" | "lhs" | "random" | NULL (search chooses) */
    /* Minimised. "runtime", "cost", "custom_metric", "custom_metric:NAME" (a named metric of
     * benchmark_custom.txt) or any numeric summary.json key (e.g. "peak_memory_bytes"). */
    char *metric;
    char *acquisition;        /* "ei" | "logei" | "ucb" | "hedge" | NULL (search chooses) */
    double budget_usd;        /* stop when the spent cost reaches it; 0: no budget */
    double ei_stop_fraction;  /* CherryPick's rule: stop when EI < fraction × best; 0: off */
    int min_points;           /* points before the EI rule may stop the search; 0: chosen */
    int tune_instance_type;   /* 1: the instance type is a search dimension */
    int tune_nodes;           /* 1: the node count (nodes_min..nodes_max) is a dimension */
    /* Optional constraint "constraint_metric <= constraint_max" (e.g. runtime <= 600). */
    char *constraint_metric;  /* NULL: no constraint */
    double constraint_max;
} config_search;

/* ---- local backend --------------------------------------------------------------------- */

typedef enum local_engine {
    LOCAL_ENGINE_PROCESS = 0, /* the workload as a child process under monitor_system */
    LOCAL_ENGINE_PODMAN,      /* a container with --cpus/--memory from the profile */
    LOCAL_ENGINE_DOCKER
} local_engine;

/* A local instance profile plays the role of an instance type on this machine. */
typedef struct config_local_profile {
    char *name;               /* appears as instance_type in results */
    double cpus;              /* 0: unlimited (process engine: informational) */
    uint64_t memory_bytes;    /* 0: unlimited */
    int has_price;
    double price_per_hour;    /* what this profile "costs", for cost columns */
    char *arch;               /* "x86_64" | "arm64" | NULL (this machine's) */
} config_local_profile;

typedef struct config_local {
    local_engine engine;
    int concurrency;          /* jobs at once; default: number of online CPUs */
    char *monitor_path;       /* monitor_system to run jobs under; NULL: next to orchestrate,
                                 MONITOR_SYSTEM env, or --monitor */
    char *s3_endpoint;        /* with an s3:// results URL: the local S3 endpoint URL */
    config_local_profile *profiles;
    size_t n_profiles;
} config_local;

/* ---- AWS Batch backend ----------------------------------------------------------------- */

typedef enum batch_pinning {
    BATCH_PIN_MNP = 0,        /* one-node multi-node-parallel jobs with instanceType (old tool) */
    BATCH_PIN_QUEUE_PER_TYPE  /* one compute environment + job queue per instance type */
} batch_pinning;

typedef struct config_batch {
    batch_pinning pinning;
    char *job_queue;              /* mnp: the queue to submit to (setup creates it) */
    char *name_prefix;            /* prefix of created CEs, queues, job definitions */
    char *job_role_arn;           /* the container's role (jobRoleArn), or NULL */
    char *execution_role_arn;     /* executionRoleArn, or NULL */
    char *service_role_arn;       /* compute environments' service role, or NULL */
    char *instance_role;          /* ECS instance profile for compute environments, or NULL */
    char **subnets;               /* NULL-less arrays; n == 0: discovered (default VPC) */
    size_t n_subnets;
    char **security_groups;
    size_t n_security_groups;
    int max_vcpus;                /* per compute environment; default 256 */
    int retry_attempts;           /* retryStrategy.attempts; default 1 */
    int spot;                     /* 1: SPOT compute environments */
} config_batch;

/* ---- prices ------------------------------------------------------------------------------ */

typedef struct config_price {
    char *instance_type;
    double per_hour;              /* USD per instance-hour, overrides every other source */
} config_price;

typedef struct config_pricing {
    int spot;                     /* 1: spot prices (DescribeSpotPriceHistory) */
    double max_age_days;          /* warn when the price cache is older; default 30 */
    char *cache_path;             /* NULL: ~/.cache/orchestrate/prices-REGION.json */
    config_price *overrides;
    size_t n_overrides;
} config_pricing;

/* ---- the whole config ---------------------------------------------------------------- */

typedef struct config {
    char *source_path;            /* the file it was read from */
    int legacy_json;              /* 1: read from the older tool's JSON */

    char *experiment;             /* [A-Za-z0-9._-]+; default: the config file's stem */
    config_backend_kind backend;
    char *region;                 /* NULL: the AWS default chain */
    /* Where jobs put results: "s3://bucket/prefix/" or a local directory. Job results go to
     * RESULTS_URL/EXPERIMENT/INSTANCE_TYPE/POINT_TAG/REPLICATE/. NULL: local backend writes
     * under OUTPUT/jobs/; batch requires it. */
    char *results_url;
    char *image;                  /* container image (batch, podman, docker) */
    /* The image's architectures: "x86_64", "arm64" or "multi" (both). Instance types of
     * another architecture are dropped from the plan (named ones are an error). NULL:
     * x86_64 (the local backend: this machine's). */
    char *image_arch;
    char *log_group;              /* CloudWatch log group; default "/aws/batch/job" */
    double job_timeout_seconds;   /* 0: none */
    double stall_timeout_seconds; /* no state/log progress for this long: resubmit; 0: off */
    int max_resubmits;            /* stalled-job resubmissions per job; default 1 */
    int replicates;               /* >= 1 */

    char **instance_types;        /* as written: types "c7g.large", families "c7g",
                                     patterns "m6i.*"; local backend: profile names */
    size_t n_instance_types;
    char **exclude_types;         /* substrings (old tool) or patterns to drop */
    size_t n_exclude_types;
    int *gpu_counts;              /* GPUs per job; several values multiply the plan */
    size_t n_gpu_counts;          /* 0: no GPUs */
    int nodes_min, nodes_max;     /* nodes per job (multi-node); default 1..1 */

    /* The workload's argv. An element equal to "ARGS" is replaced by the parameter values in
     * declaration order (one argv element each); "{NAME}" inside an element is replaced by
     * that parameter's value. Never run through a shell. */
    char **command;
    size_t n_command;
    char **monitor_args;          /* extra monitor_system options, before --cmd */
    size_t n_monitor_args;
    char **env;                   /* extra KEY=VALUE for every job */
    size_t n_env;

    config_param *params;
    size_t n_params;

    config_search search;
    config_local local;
    config_batch batch;
    config_pricing pricing;

    int has_seed;
    uint64_t seed;                /* search/random seed (--seed overrides) */
    char *output_dir;             /* NULL: results/EXPERIMENT/ (--output overrides) */
} config;

/* Sets every default (replicates 1, nodes 1..1, local concurrency = CPUs, ...). */
void config_init(config *c);
void config_free(config *c);

/* Reads PATH as YAML, or as the older tool's JSON when it ends in .json or starts with
 * '{'. Fills *out (config_init first, then the file's values), then checks cross-field
 * rules. 0, or -1 with "PATH:LINE:COLUMN: message" in err. */
int config_load(const char *path, config *out, char *err, size_t errlen);

/* The parsers behind config_load, on a buffer (NAME is used in messages); they do not run
 * config_check(). Also used by the fuzz targets. */
int config_parse_yaml(const char *name, const char *buf, size_t len, config *out,
                      char *err, size_t errlen);
int config_parse_legacy_json(const char *name, const char *buf, size_t len, config *out,
                             char *err, size_t errlen);

/* Cross-field checks after parsing (e.g. ARGS given but no parameters, batch without
 * results_url or image). 0 or -1 with "PATH: message". */
int config_check(config *c, char *err, size_t errlen);
/* Where jobs put their results: results_url, or NULL for OUTPUT/jobs/ (a local backend
 * without local.s3_endpoint keeps s3:// results on this machine). Owned by the config. */
const char *config_job_results_url(const config *c);

/* The parameter named NAME, or NULL. */
const config_param *config_find_param(const config *c, const char *name);
/* The local profile named NAME, or NULL. */
const config_local_profile *config_find_profile(const config *c, const char *name);
/* The price override for an instance type, 0 and *per_hour set, or -1. */
int config_price_override(const config *c, const char *instance_type, double *per_hour);

const char *config_backend_name(config_backend_kind k);
const char *search_method_name(search_method m);
const char *param_kind_name(param_kind k);

/* Parses "512MiB", "2GiB", "1.5G", "1000000" into bytes; 0 or -1. */
int config_parse_bytes(const char *s, uint64_t *out);
/* Parses "90", "90s", "30m", "2h", "1h30m" into seconds; 0 or -1. */
int config_parse_duration(const char *s, double *out);

#endif

/* The older Python tool's benchmark_config.json, read with jansson, mapped onto the same
 * struct config as the YAML form so that such files run unchanged and mean the same:
 *
 *   region_name → region              s3_bucket_name → results_url s3://BUCKET/
 *   container_arn → image             logGroupName → log_group
 *   replications → replicates         job_timeout → job timeout in MINUTES (as the old tool)
 *   review_logs_past_hrs → accepted, unused (jobs are tracked by id, not by time window)
 *   ec2_types / exclude_ec2_types → instance types / excludes (excludes match substrings)
 *   gpu_count → GPUs (a number or a list)   ec2_multinode_count → nodes (N or [MIN, MAX])
 *   optimization_* → the search section; optimization_argN (+ _type integer | real |
 *   log-uniform | categorical) → parameters arg1, arg2, ... in N order
 *   run_cmd "… monitor_system … [-cf FILE] --cmd PROG ARGS" → monitor options and command
 *
 * Syntax errors carry jansson's line/column; other errors the position of the key. */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "orchestrator/config.h"
#include "orchestrator/config_text.h"

typedef struct jctx {
    const char *name;
    const char *buf;
    size_t len;
    char *err;
    size_t errlen;
    config *c;
} jctx;

/* Line and column (1-based) of the first "KEY" followed by ':' in the text. */
static void key_position(const jctx *j, const char *key, size_t *line, size_t *col)
{
    size_t klen = strlen(key);
    *line = 1;
    *col = 1;
    size_t ln = 1, lc = 1;
    for (size_t i = 0; i < j->len; i++) {
        if (j->buf[i] == '"' && i + klen + 1 < j->len && memcmp(j->buf + i + 1, key, klen) == 0 &&
            j->buf[i + klen + 1] == '"') {
            size_t k = i + klen + 2;
            while (k < j->len && isspace((unsigned char)j->buf[k]))
                k++;
            if (k < j->len && j->buf[k] == ':') {
                *line = ln;
                *col = lc;
                return;
            }
        }
        if (j->buf[i] == '\n') {
            ln++;
            lc = 1;
        } else {
            lc++;
        }
    }
}

__attribute__((format(printf, 3, 4)))
static int jerr(jctx *j, const char *key, const char *fmt, ...)
{
    size_t line = 1, col = 1;
    if (key)
        key_position(j, key, &line, &col);
    int used = snprintf(j->err, j->errlen, "%s:%zu:%zu: ", j->name, line, col);
    if (used < 0 || (size_t)used >= j->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err + used, j->errlen - (size_t)used, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_word(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int take_str(jctx *j, const char *key, const json_t *v, char **out)
{
    if (!json_is_string(v) || !*json_string_value(v))
        return jerr(j, key, "%s: expected a non-empty string, got %s", key, type_word(v));
    free(*out);
    *out = strdup(json_string_value(v));
    return *out ? 0 : jerr(j, key, "out of memory");
}

static int take_int(jctx *j, const char *key, const json_t *v, long long min, long long max,
                    long long *out)
{
    if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v))
        *out = (long long)json_real_value(v);
    else if (json_is_integer(v))
        *out = json_integer_value(v);
    else
        return jerr(j, key, "%s: expected a whole number, got %s", key, type_word(v));
    if (*out < min || *out > max)
        return jerr(j, key, "%s: %lld is out of range (%lld..%lld)", key, *out, min, max);
    return 0;
}

static int take_num(jctx *j, const char *key, const json_t *v, double min, double max,
                    double *out)
{
    if (!json_is_number(v))
        return jerr(j, key, "%s: expected a number, got %s", key, type_word(v));
    *out = json_number_value(v);
    if (!(*out >= min && *out <= max))
        return jerr(j, key, "%s: %g is out of range (%g..%g)", key, *out, min, max);
    return 0;
}

/* A JSON scalar as it would be written on a command line. */
static char *scalar_text(const json_t *v)
{
    char *s = NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        return asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0 ? NULL : s;
    if (json_is_real(v))
        return asprintf(&s, "%.17g", json_real_value(v)) < 0 ? NULL : s;
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

static int take_str_list(jctx *j, const char *key, const json_t *v, char ***out, size_t *n)
{
    if (json_is_string(v)) {
        char **one = calloc(1, sizeof *one);
        if (!one || !(one[0] = strdup(json_string_value(v)))) {
            free(one);
            return jerr(j, key, "out of memory");
        }
        *out = one;
        *n = 1;
        return 0;
    }
    if (!json_is_array(v))
        return jerr(j, key, "%s: expected a list of strings, got %s", key, type_word(v));
    size_t count = json_array_size(v);
    char **arr = calloc(count ? count : 1, sizeof *arr);
    if (!arr)
        return jerr(j, key, "out of memory");
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item) || !(arr[i] = strdup(json_string_value(item)))) {
            for (size_t k = 0; k < i; k++)
                free(arr[k]);
            free(arr);
            return jerr(j, key, "%s: item %zu: expected a string, got %s", key, i + 1,
                        type_word(item));
        }
    }
    *out = arr;
    *n = count;
    return 0;
}

/* ---- the keys ------------------------------------------------------------------------- */

static int l_gpu_count(jctx *j, const char *key, const json_t *v)
{
    config *c = j->c;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    if (json_is_array(v) && n == 0)
        return jerr(j, key, "%s: the list is empty", key);
    c->gpu_counts = calloc(n, sizeof *c->gpu_counts);
    if (!c->gpu_counts)
        return jerr(j, key, "out of memory");
    for (size_t i = 0; i < n; i++) {
        long long g;
        if (take_int(j, key, json_is_array(v) ? json_array_get(v, i) : v, 0, 64, &g))
            return -1;
        c->gpu_counts[i] = (int)g;
        c->n_gpu_counts = i + 1;
    }
    return 0;
}

static int l_range_pair(jctx *j, const char *key, const json_t *v, int *lo, int *hi)
{
    long long a, b;
    if (json_is_array(v)) {
        if (json_array_size(v) != 2)
            return jerr(j, key, "%s: expected N or [MIN, MAX]", key);
        if (take_int(j, key, json_array_get(v, 0), 1, 1000, &a) ||
            take_int(j, key, json_array_get(v, 1), 1, 1000, &b))
            return -1;
    } else {
        if (take_int(j, key, v, 1, 1000, &a))
            return -1;
        b = a;
    }
    if (b < a)
        return jerr(j, key, "%s: MAX (%lld) is below MIN (%lld)", key, b, a);
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}

static int l_method(jctx *j, const char *key, const json_t *v)
{
    static const struct { const char *old; search_method m; } map[] = {
        {"gp", SEARCH_BAYES}, {"bayes", SEARCH_BAYES}, {"bayesian", SEARCH_BAYES},
        {"grid", SEARCH_GRID}, {"random", SEARCH_RANDOM}, {"genetic", SEARCH_BAYES},
    };
    if (!json_is_string(v))
        return jerr(j, key, "%s: expected a string, got %s", key, type_word(v));
    const char *s = json_string_value(v);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcasecmp(s, map[i].old) == 0) {
            if (strcasecmp(s, "genetic") == 0)
                log_warn("%s: optimization_method \"genetic\" runs as bayes (Gaussian process)",
                         j->name);
            j->c->search.method = map[i].m;
            return 0;
        }
    }
    return jerr(j, key, "%s: unknown method \"%s\" (gp, grid, random, genetic)", key, s);
}

/* The old tool's column names for optimization_metric, in the new vocabulary. */
static int l_metric(jctx *j, const char *key, const json_t *v)
{
    static const struct { const char *old, *now; } map[] = {
        {"peak_RAM", "peak_memory_bytes"}, {"Avg_cpu", "cpu_seconds"},
        {"Disk_IO_Read", "disk_read_bytes"}, {"Disk_IO_Write", "disk_write_bytes"},
        {"Network_Sent", "net_tx_bytes"}, {"Network_Received", "net_rx_bytes"},
    };
    if (take_str(j, key, v, &j->c->search.metric))
        return -1;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(j->c->search.metric, map[i].old) == 0) {
            free(j->c->search.metric);
            if (!(j->c->search.metric = strdup(map[i].now)))
                return jerr(j, key, "out of memory");
        }
    }
    return 0;
}

/* "… /monitor_system.py -cf FILE --cmd ./runscript.sh ARGS": the monitor's own options go
 * to monitor_args (the monitor is the image's entrypoint now), the rest is the command. */
static int l_run_cmd(jctx *j, const char *key, const json_t *v)
{
    config *c = j->c;
    char **words = NULL;
    size_t n = 0;
    if (!json_is_string(v))
        return jerr(j, key, "%s: expected a string, got %s", key, type_word(v));
    if (config_split_words(json_string_value(v), &words, &n) != 0)
        return jerr(j, key, "out of memory");
    size_t cmd_at = n, mon_at = n;
    for (size_t i = 0; i < n; i++) {
        if (cmd_at == n && strcmp(words[i], "--cmd") == 0)
            cmd_at = i;
        const char *base = strrchr(words[i], '/');
        base = base ? base + 1 : words[i];
        if (mon_at == n && cmd_at == n && strncmp(base, "monitor_system", 14) == 0)
            mon_at = i;
    }
    size_t first_cmd = cmd_at < n ? cmd_at + 1 : 0;
    /* Without a word naming the monitor, the leading words are its interpreter/program
     * and its options start at the first "-". */
    size_t first_opt = mon_at < n ? mon_at + 1 : 0;
    while (mon_at == n && first_opt < cmd_at && cmd_at < n && words[first_opt][0] != '-')
        first_opt++;
    int rc = 0;
    if (first_cmd >= n) {
        rc = jerr(j, key, "%s: no command after --cmd", key);
        goto out;
    }
    c->command = calloc(n - first_cmd + 1, sizeof *c->command);
    if (cmd_at < n && cmd_at > first_opt)
        c->monitor_args = calloc(cmd_at - first_opt + 1, sizeof *c->monitor_args);
    if (!c->command || (cmd_at < n && cmd_at > first_opt && !c->monitor_args)) {
        rc = jerr(j, key, "out of memory");
        goto out;
    }
    for (size_t i = first_cmd; i < n; i++) {
        c->command[c->n_command++] = words[i];
        words[i] = NULL;
    }
    for (size_t i = first_opt; cmd_at < n && i < cmd_at; i++) {
        c->monitor_args[c->n_monitor_args++] = words[i];
        words[i] = NULL;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
    return rc;
}

/* optimization_argN: [LOW, HIGH] (or a list of values for categorical) with its _type. */
static int l_param(jctx *j, json_t *root, int idx, config_param *p)
{
    char key[64], tkey[80];
    snprintf(key, sizeof key, "optimization_arg%d", idx);
    snprintf(tkey, sizeof tkey, "optimization_arg%d_type", idx);
    json_t *range = json_object_get(root, key), *type = json_object_get(root, tkey);
    const char *ts = type ? json_string_value(type) : "integer";
    if (!ts)
        return jerr(j, tkey, "%s: expected a string, got %s", tkey, type_word(type));
    if (asprintf(&p->name, "arg%d", idx) < 0) {
        p->name = NULL;
        return jerr(j, key, "out of memory");
    }
    if (!json_is_array(range) || json_array_size(range) == 0)
        return jerr(j, key, "%s: expected [LOW, HIGH] or a list of values, got %s", key,
                    type_word(range));
    if (strcasecmp(ts, "categorical") == 0) {
        p->kind = PARAM_CATEGORICAL;
        p->values = calloc(json_array_size(range), sizeof *p->values);
        if (!p->values)
            return jerr(j, key, "out of memory");
        for (size_t i = 0; i < json_array_size(range); i++) {
            if (!(p->values[i] = scalar_text(json_array_get(range, i))))
                return jerr(j, key, "%s: item %zu is not a value", key, i + 1);
            p->n_values = i + 1;
        }
        return 0;
    }
    if (strcasecmp(ts, "integer") == 0 || strcasecmp(ts, "int") == 0)
        p->kind = PARAM_INT;
    else if (strcasecmp(ts, "real") == 0 || strcasecmp(ts, "float") == 0 ||
             strcasecmp(ts, "uniform") == 0)
        p->kind = PARAM_FLOAT;
    else if (strcasecmp(ts, "log-uniform") == 0) {
        p->kind = PARAM_FLOAT;
        p->scale = PARAM_SCALE_LOG;
    } else
        return jerr(j, tkey, "%s: unknown type \"%s\" (integer, real, log-uniform, categorical)",
                    tkey, ts);
    if (json_array_size(range) != 2 || !json_is_number(json_array_get(range, 0)) ||
        !json_is_number(json_array_get(range, 1)))
        return jerr(j, key, "%s: expected [LOW, HIGH]", key);
    p->has_range = 3;
    p->min = json_number_value(json_array_get(range, 0));
    p->max = json_number_value(json_array_get(range, 1));
    if (p->min > p->max)
        return jerr(j, key, "%s: LOW is above HIGH", key);
    if (p->kind == PARAM_INT && (floor(p->min) != p->min || floor(p->max) != p->max))
        return jerr(j, key, "%s: an integer range needs whole numbers", key);
    if (p->scale == PARAM_SCALE_LOG && p->min <= 0)
        return jerr(j, key, "%s: a log-uniform range needs LOW > 0", key);
    return 0;
}

/* The N of optimization_argN[_type|_copy], or 0. */
static int arg_index(const char *key, const char **suffix)
{
    if (strncmp(key, "optimization_arg", 16) != 0 || !isdigit((unsigned char)key[16]))
        return 0;
    char *end;
    long n = strtol(key + 16, &end, 10);
    *suffix = end;
    return n > 0 && n < 1000 ? (int)n : 0;
}

static int l_params(jctx *j, json_t *root)
{
    int max_idx = 0;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        const char *suffix;
        int n = arg_index(k, &suffix);
        if (n > max_idx && *suffix == '\0')
            max_idx = n;
    }
    if (max_idx == 0)
        return 0;
    j->c->params = calloc((size_t)max_idx, sizeof *j->c->params);
    if (!j->c->params)
        return jerr(j, NULL, "out of memory");
    for (int i = 1; i <= max_idx; i++) {
        char key[64];
        snprintf(key, sizeof key, "optimization_arg%d", i);
        if (!json_object_get(root, key))
            return jerr(j, NULL, "%s is missing (optimization_arg1..%d must all be given)", key,
                        max_idx);
        j->c->n_params = (size_t)i;
        if (l_param(j, root, i, &j->c->params[i - 1]))
            return -1;
    }
    return 0;
}

static const char *const known_keys[] = {
    "region_name", "s3_bucket_name", "container_arn", "logGroupName", "replications",
    "review_logs_past_hrs", "job_timeout", "ec2_types", "exclude_ec2_types", "gpu_count",
    "ec2_multinode_count", "optimization_iterations", "optimization_method",
    "optimization_parallel_samples", "optimization_metric", "optimization_node_count",
    "run_cmd", "optimization_arg1", "optimization_arg1_type",
};

static int check_key_known(jctx *j, const char *k)
{
    const char *suffix;
    int n = arg_index(k, &suffix);
    if (n && (!*suffix || strcmp(suffix, "_type") == 0))
        return 0;
    if (n && strcmp(suffix, "_copy") == 0)
        return 0;   /* the old genetic method's gene copies; checked in l_copies */
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
        if (strcmp(k, known_keys[i]) == 0)
            return 0;
    const char *near = config_nearest(k, known_keys, sizeof known_keys / sizeof known_keys[0]);
    if (near)
        return jerr(j, k, "unknown key \"%s\" (did you mean \"%s\"?)", k, near);
    return jerr(j, k, "unknown key \"%s\"", k);
}

static int l_copies(jctx *j, json_t *root)
{
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        const char *suffix;
        if (arg_index(k, &suffix) && strcmp(suffix, "_copy") == 0) {
            long long n;
            if (take_int(j, k, v, 1, 1, &n))
                return jerr(j, k, "%s: gene copies (the old genetic method) are not supported; "
                            "declare each parameter once", k);
        }
    }
    return 0;
}

static int l_simple_keys(jctx *j, json_t *root)
{
    config *c = j->c;
    json_t *v;
    long long n;
    double d;
    if ((v = json_object_get(root, "region_name")) && take_str(j, "region_name", v, &c->region))
        return -1;
    if ((v = json_object_get(root, "s3_bucket_name"))) {
        char *bucket = NULL;
        if (take_str(j, "s3_bucket_name", v, &bucket))
            return -1;
        int r = asprintf(&c->results_url, "s3://%s/", bucket);
        free(bucket);
        if (r < 0) {
            c->results_url = NULL;
            return jerr(j, "s3_bucket_name", "out of memory");
        }
    }
    if ((v = json_object_get(root, "container_arn")) && take_str(j, "container_arn", v, &c->image))
        return -1;
    if ((v = json_object_get(root, "logGroupName")) && take_str(j, "logGroupName", v, &c->log_group))
        return -1;
    if ((v = json_object_get(root, "replications"))) {
        if (take_int(j, "replications", v, 1, 10000, &n))
            return -1;
        c->replicates = (int)n;
    }
    if ((v = json_object_get(root, "review_logs_past_hrs")) &&
        take_num(j, "review_logs_past_hrs", v, 0, 1e6, &d))
        return -1;
    if ((v = json_object_get(root, "job_timeout"))) {
        if (take_num(j, "job_timeout", v, 0, 1e6, &d))
            return -1;
        c->job_timeout_seconds = d * 60;
    }
    if ((v = json_object_get(root, "ec2_types")) &&
        take_str_list(j, "ec2_types", v, &c->instance_types, &c->n_instance_types))
        return -1;
    if ((v = json_object_get(root, "exclude_ec2_types")) &&
        take_str_list(j, "exclude_ec2_types", v, &c->exclude_types, &c->n_exclude_types))
        return -1;
    if ((v = json_object_get(root, "gpu_count")) && l_gpu_count(j, "gpu_count", v))
        return -1;
    if ((v = json_object_get(root, "ec2_multinode_count")) &&
        l_range_pair(j, "ec2_multinode_count", v, &c->nodes_min, &c->nodes_max))
        return -1;
    if ((v = json_object_get(root, "run_cmd")) && l_run_cmd(j, "run_cmd", v))
        return -1;
    return 0;
}

static int l_search_keys(jctx *j, json_t *root)
{
    config_search *s = &j->c->search;
    json_t *v;
    long long n;
    if (!json_object_get(root, "optimization_iterations"))
        return 0;   /* the old tool optimised only when iterations were given */
    s->method = SEARCH_BAYES;   /* its default, "gp" */
    if (take_int(j, "optimization_iterations", json_object_get(root, "optimization_iterations"),
                 1, 100000, &n))
        return -1;
    s->iterations = (int)n;
    if ((v = json_object_get(root, "optimization_method")) && l_method(j, "optimization_method", v))
        return -1;
    if ((v = json_object_get(root, "optimization_parallel_samples"))) {
        if (take_int(j, "optimization_parallel_samples", v, 1, 100000, &n))
            return -1;
        s->parallel_samples = (int)n;
    }
    if (s->method == SEARCH_GRID)
        s->iterations = 1;   /* the old tool ran its grid as one round of parallel_samples */
    if ((v = json_object_get(root, "optimization_metric")) && l_metric(j, "optimization_metric", v))
        return -1;
    /* The older tool tuned on the first of ec2_types only. */
    for (size_t i = 1; i < j->c->n_instance_types; i++) {
        free(j->c->instance_types[i]);
        j->c->instance_types[i] = NULL;
    }
    if (j->c->n_instance_types > 1)
        j->c->n_instance_types = 1;
    if ((v = json_object_get(root, "optimization_node_count"))) {
        if (l_range_pair(j, "optimization_node_count", v, &j->c->nodes_min, &j->c->nodes_max))
            return -1;
        s->tune_nodes = j->c->nodes_max > j->c->nodes_min;
    }
    return l_params(j, root);
}

int config_parse_legacy_json(const char *name, const char *buf, size_t len, config *out,
                             char *err, size_t errlen)
{
    jctx j = {.name = name, .buf = buf, .len = len, .err = err, .errlen = errlen, .c = out};
    json_error_t jerror;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerror);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", name, jerror.line > 0 ? jerror.line : 1,
                 jerror.column > 0 ? jerror.column : 1, jerror.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        rc = jerr(&j, NULL, "the config must be a JSON object, got %s", type_word(root));
        goto done;
    }
    out->legacy_json = 1;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if ((rc = check_key_known(&j, k)) != 0)
            goto done;
    }
    if ((rc = l_copies(&j, root)) || (rc = l_simple_keys(&j, root)) ||
        (rc = l_search_keys(&j, root)))
        goto done;
    if (!json_object_get(root, "optimization_iterations") && json_object_get(root, "optimization_arg1")) {
        rc = jerr(&j, "optimization_arg1",
                  "optimization_arg1 is given but optimization_iterations is not");
        goto done;
    }
    /* The old tool always ran on AWS Batch. */
    out->backend = CONFIG_BACKEND_BATCH;
    if (!out->log_group && !(out->log_group = strdup("/aws/batch/job")))
        rc = jerr(&j, NULL, "out of memory");
    if (rc == 0 && !out->source_path && !(out->source_path = strdup(name)))
        rc = jerr(&j, NULL, "out of memory");
done:
    json_decref(root);
    return rc;
}

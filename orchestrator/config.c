/* The config's lifetime (defaults, free), its cross-field checks, lookups, unit parsers, and
 * config_load(), which picks the YAML or the older JSON parser. */
#include "orchestrator/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"

void config_init(config *c)
{
    memset(c, 0, sizeof *c);
    c->backend = CONFIG_BACKEND_LOCAL;
    c->replicates = 1;
    c->nodes_min = c->nodes_max = 1;
    c->max_resubmits = 1;
    c->search.parallel_samples = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->local.concurrency = ncpu > 0 ? (int)ncpu : 1;
    c->batch.max_vcpus = 256;
    c->batch.retry_attempts = 1;
    c->pricing.max_age_days = 30;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_search(config_search *s)
{
    free(s->initial_design);
    free(s->metric);
    free(s->acquisition);
    free(s->constraint_metric);
}

static void free_local(config_local *l)
{
    free(l->monitor_path);
    free(l->s3_endpoint);
    for (size_t i = 0; i < l->n_profiles; i++) {
        free(l->profiles[i].name);
        free(l->profiles[i].arch);
    }
    free(l->profiles);
}

static void free_batch(config_batch *b)
{
    free(b->job_queue);
    free(b->name_prefix);
    free(b->job_role_arn);
    free(b->execution_role_arn);
    free(b->service_role_arn);
    free(b->instance_role);
    free_strs(b->subnets, b->n_subnets);
    free_strs(b->security_groups, b->n_security_groups);
}

static void free_pricing(config_pricing *p)
{
    free(p->cache_path);
    for (size_t i = 0; i < p->n_overrides; i++)
        free(p->overrides[i].instance_type);
    free(p->overrides);
}

void config_free(config *c)
{
    if (!c)
        return;
    free(c->source_path);
    free(c->experiment);
    free(c->region);
    free(c->results_url);
    free(c->image);
    free(c->image_arch);
    free(c->log_group);
    free_strs(c->instance_types, c->n_instance_types);
    free_strs(c->exclude_types, c->n_exclude_types);
    free(c->gpu_counts);
    free_strs(c->command, c->n_command);
    free_strs(c->monitor_args, c->n_monitor_args);
    free_strs(c->env, c->n_env);
    for (size_t i = 0; i < c->n_params; i++) {
        free(c->params[i].name);
        free_strs(c->params[i].values, c->params[i].n_values);
    }
    free(c->params);
    free_search(&c->search);
    free_local(&c->local);
    free_batch(&c->batch);
    free_pricing(&c->pricing);
    free(c->output_dir);
    memset(c, 0, sizeof *c);
}

const config_param *config_find_param(const config *c, const char *name)
{
    for (size_t i = 0; i < c->n_params; i++)
        if (strcmp(c->params[i].name, name) == 0)
            return &c->params[i];
    return NULL;
}

const config_local_profile *config_find_profile(const config *c, const char *name)
{
    for (size_t i = 0; i < c->local.n_profiles; i++)
        if (strcmp(c->local.profiles[i].name, name) == 0)
            return &c->local.profiles[i];
    return NULL;
}

int config_price_override(const config *c, const char *instance_type, double *per_hour)
{
    for (size_t i = 0; i < c->pricing.n_overrides; i++) {
        if (strcmp(c->pricing.overrides[i].instance_type, instance_type) == 0) {
            *per_hour = c->pricing.overrides[i].per_hour;
            return 0;
        }
    }
    if (c->backend == CONFIG_BACKEND_LOCAL) {
        const config_local_profile *p = config_find_profile(c, instance_type);
        if (p && p->has_price) {
            *per_hour = p->price_per_hour;
            return 0;
        }
    }
    return -1;
}

const char *config_backend_name(config_backend_kind k)
{
    return k == CONFIG_BACKEND_BATCH ? "batch" : "local";
}

const char *search_method_name(search_method m)
{
    switch (m) {
    case SEARCH_GRID: return "grid";
    case SEARCH_RANDOM: return "random";
    case SEARCH_BAYES: return "bayes";
    default: return "none";
    }
}

const char *param_kind_name(param_kind k)
{
    switch (k) {
    case PARAM_INT: return "int";
    case PARAM_FLOAT: return "float";
    case PARAM_CATEGORICAL: return "categorical";
    default: return "ordinal";
    }
}

/* Splits "1.5GiB" into the number and a unit suffix; 0 or -1. */
static int number_and_unit(const char *s, double *num, const char **unit)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s || *s == '-')
        return -1;
    errno = 0;
    *num = strtod(s, &end);
    if (end == s || errno || !isfinite(*num) || *num < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    *unit = end;
    return 0;
}

int config_parse_bytes(const char *s, uint64_t *out)
{
    static const struct { const char *u; double f; } units[] = {
        {"", 1}, {"B", 1}, {"k", 1e3}, {"K", 1e3}, {"KB", 1e3}, {"kB", 1e3}, {"M", 1e6},
        {"MB", 1e6}, {"G", 1e9}, {"GB", 1e9}, {"T", 1e12}, {"TB", 1e12}, {"Ki", 1024.0},
        {"KiB", 1024.0}, {"Mi", 1048576.0}, {"MiB", 1048576.0}, {"Gi", 1073741824.0},
        {"GiB", 1073741824.0}, {"Ti", 1099511627776.0}, {"TiB", 1099511627776.0},
    };
    double num;
    const char *unit;
    if (!s || number_and_unit(s, &num, &unit) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].u) == 0) {
            double v = num * units[i].f;
            if (v > 1.8e19)
                return -1;
            *out = (uint64_t)llround(v);
            return 0;
        }
    }
    return -1;
}

int config_parse_duration(const char *s, double *out)
{
    double total = 0;
    int parts = 0;
    if (!s)
        return -1;
    while (*s) {
        double num;
        const char *unit;
        if (number_and_unit(s, &num, &unit) != 0)
            return -1;
        double f;
        const char *next = unit + 1;
        switch (*unit) {
        case '\0': f = 1; next = unit; break;
        case 's': f = 1; break;
        case 'm': f = 60; break;
        case 'h': f = 3600; break;
        case 'd': f = 86400; break;
        default: return -1;
        }
        if (*unit == '\0' && parts > 0)
            return -1;   /* "1h30" is ambiguous */
        total += num * f;
        parts++;
        s = next;
        while (isspace((unsigned char)*s))
            s++;
    }
    if (parts == 0)
        return -1;
    *out = total;
    return 0;
}

/* ---- cross-field checks ------------------------------------------------------------ */

static int fail(char *err, size_t errlen, const config *c, const char *msg, const char *arg)
{
    snprintf(err, errlen, "%s: ", c->source_path ? c->source_path : "config");
    size_t used = strlen(err);
    snprintf(err + used, errlen - used, msg, arg ? arg : "");
    return -1;
}

static int name_is_path_safe(const char *s)
{
    if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return 0;
    return 1;
}

/* A stem that names no experiment: the older tool's benchmark_config.json, and the
 * config.yaml/config.json every example folder holds. */
static int stem_is_generic(const char *stem, size_t n)
{
    return (n == 6 && strncmp(stem, "config", 6) == 0) ||
           (n == 16 && strncmp(stem, "benchmark_config", 16) == 0);
}

/* The default experiment name: the config file's stem, or for a generic stem the name of
 * the folder holding it (examples/prime_numbers/config.json: prime_numbers), made
 * path-safe, so two such configs do not share results/config/. */
static char *experiment_from_path(const char *path)
{
    char *real = realpath(path, NULL);
    const char *full = real ? real : path;
    const char *base = strrchr(full, '/');
    base = base ? base + 1 : full;
    size_t n = strcspn(base, ".");
    if (n == 0)
        n = strlen(base);
    if (stem_is_generic(base, n) && base - full >= 2) {
        const char *end = base - 1; /* the '/' before the file name */
        const char *dir = end;
        while (dir > full && dir[-1] != '/')
            dir--;
        if (end > dir) {
            base = dir;
            n = (size_t)(end - dir);
        }
    }
    char *name = strndup(base, n);
    free(real);
    if (!name)
        return NULL;
    for (char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            *p = '_';
    if (!name_is_path_safe(name)) {
        free(name);
        return strdup("experiment");
    }
    return name;
}

/* Every "{NAME}" in the command names a parameter, and ARGS stands in one place only: the
 * values are one list, and spreading it twice is almost surely a typo in the command. */
static int check_placeholders(const config *c, char *err, size_t errlen)
{
    size_t n_args = 0;
    for (size_t i = 0; i < c->n_command; i++) {
        const char *p = c->command[i];
        if (strcmp(p, "ARGS") == 0 && ++n_args > 1)
            return fail(err, errlen, c,
                        "command: ARGS appears more than once; the parameter values go in "
                        "one place%s", NULL);
        while ((p = strchr(p, '{')) != NULL) {
            const char *end = strchr(p, '}');
            if (!end)
                break;
            char name[128];
            size_t n = (size_t)(end - p - 1);
            if (n > 0 && n < sizeof name) {
                memcpy(name, p + 1, n);
                name[n] = '\0';
                if (!config_find_param(c, name))
                    return fail(err, errlen, c,
                                "command refers to {%s}, which is not a parameter", name);
            }
            p = end + 1;
        }
    }
    return 0;
}

static int check_params_for_plan(const config *c, char *err, size_t errlen)
{
    if (c->search.method != SEARCH_NONE)
        return 0;
    for (size_t i = 0; i < c->n_params; i++) {
        const config_param *p = &c->params[i];
        if (p->n_values == 0 && p->count == 0)
            return fail(err, errlen, c,
                        "parameter %s has a range but no values or count; give values, a "
                        "count, or a search section", p->name);
    }
    return 0;
}

static int check_backend(config *c, char *err, size_t errlen)
{
    if (c->backend == CONFIG_BACKEND_BATCH) {
        if (!c->results_url || strncmp(c->results_url, "s3://", 5) != 0)
            return fail(err, errlen, c,
                        "backend batch needs results_url: s3://BUCKET/PREFIX/ (jobs upload "
                        "their results there)%s", NULL);
        if (!c->image)
            return fail(err, errlen, c, "backend batch needs an image%s", NULL);
        if (c->n_instance_types == 0)
            return fail(err, errlen, c, "backend batch needs instance_types%s", NULL);
        return 0;
    }
    if (c->results_url && strncmp(c->results_url, "s3://", 5) == 0 && !c->local.s3_endpoint) {
        /* Local jobs upload to S3 only through a configured endpoint (a local S3 server,
         * or the real one named outright); otherwise their results stay on this machine. */
        log_info("%s: backend local without local.s3_endpoint: results go to the output "
                 "directory, not %s", c->source_path ? c->source_path : "config", c->results_url);
    }
    if (c->local.engine != LOCAL_ENGINE_PROCESS && !c->image)
        return fail(err, errlen, c, "local engine %s needs an image",
                    c->local.engine == LOCAL_ENGINE_PODMAN ? "podman" : "docker");
    if (c->n_instance_types == 0) {
        /* The profiles are the local backend's instance types; without any, one "local". */
        size_t n = c->local.n_profiles ? c->local.n_profiles : 1;
        c->instance_types = calloc(n, sizeof *c->instance_types);
        if (!c->instance_types)
            return fail(err, errlen, c, "out of memory%s", NULL);
        for (size_t i = 0; i < n; i++) {
            c->instance_types[i] = strdup(c->local.n_profiles ? c->local.profiles[i].name
                                                              : "local");
            if (!c->instance_types[i])
                return fail(err, errlen, c, "out of memory%s", NULL);
            c->n_instance_types++;
        }
    } else if (c->local.n_profiles) {
        for (size_t i = 0; i < c->n_instance_types; i++)
            if (!config_find_profile(c, c->instance_types[i]))
                return fail(err, errlen, c,
                            "instance type %s has no local profile (local.profiles)",
                            c->instance_types[i]);
    }
    return 0;
}

int config_check(config *c, char *err, size_t errlen)
{
    if (!c->experiment && c->source_path) {
        c->experiment = experiment_from_path(c->source_path);
        if (!c->experiment)
            return fail(err, errlen, c, "out of memory%s", NULL);
    }
    if (!name_is_path_safe(c->experiment))
        return fail(err, errlen, c,
                    "experiment name \"%s\" must be letters, digits, '.', '_' or '-'",
                    c->experiment ? c->experiment : "");
    if (c->n_command == 0)
        return fail(err, errlen, c, "no command given (command: [PROGRAM, ARG...])%s", NULL);
    if (c->nodes_max < c->nodes_min)
        return fail(err, errlen, c, "nodes: max is below min%s", NULL);
    if (c->search.method != SEARCH_NONE && !c->search.metric) {
        c->search.metric = strdup("runtime");
        if (!c->search.metric)
            return fail(err, errlen, c, "out of memory%s", NULL);
    }
    if (c->search.tune_nodes && c->nodes_max == c->nodes_min)
        return fail(err, errlen, c,
                    "search.tune_nodes needs nodes: {min: N, max: M} with M > N%s", NULL);
    if (c->search.method != SEARCH_NONE && c->search.iterations < 1)
        c->search.iterations = 1;
    if (check_placeholders(c, err, errlen) || check_params_for_plan(c, err, errlen))
        return -1;
    return check_backend(c, err, errlen);
}

/* ---- loading ------------------------------------------------------------------------- */

static int looks_like_json(const char *path, const char *buf)
{
    size_t n = strlen(path);
    if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
        return 1;
    while (isspace((unsigned char)*buf))
        buf++;
    return *buf == '{';
}

int config_load(const char *path, config *out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    config_init(out);
    if (read_file(path, &buf, &len) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int rc = looks_like_json(path, buf)
                 ? config_parse_legacy_json(path, buf, len, out, err, errlen)
                 : config_parse_yaml(path, buf, len, out, err, errlen);
    free(buf);
    if (rc == 0 && !out->source_path) {
        out->source_path = strdup(path);
        if (!out->source_path) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = config_check(out, err, errlen);
    if (rc != 0)
        config_free(out);
    return rc;
}

const char *config_job_results_url(const config *c)
{
    /* The config keeps results_url as written (a --backend override may need it); local
     * jobs reach an s3:// URL only through a configured endpoint. */
    if (c->backend == CONFIG_BACKEND_LOCAL && c->results_url &&
        strncmp(c->results_url, "s3://", 5) == 0 && !c->local.s3_endpoint)
        return NULL;
    return c->results_url;
}

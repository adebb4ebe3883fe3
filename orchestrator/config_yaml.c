/* The YAML config (man/orchestrate.yaml.5) read with libyaml's document API, so every node
 * keeps its mark: each error names FILE:LINE:COLUMN. Unknown keys are errors that suggest the
 * nearest valid key (edit distance); wrong types and impossible values are errors too. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "orchestrator/config.h"
#include "orchestrator/config_text.h"
#include "orchestrator/config_yaml_internal.h"

/* ---- top-level keys -------------------------------------------------------------------- */

static int k_experiment(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (yc_str(y, v, k, &CFG(t)->experiment))
        return -1;
    for (const char *p = CFG(t)->experiment; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return yc_err(y, v, "%s: \"%s\" may hold only letters, digits, '.', '_' and '-'", k,
                        CFG(t)->experiment);
    if (strcmp(CFG(t)->experiment, ".") == 0 || strcmp(CFG(t)->experiment, "..") == 0)
        return yc_err(y, v, "%s: \"%s\" is not a usable name", k, CFG(t)->experiment);
    return 0;
}

static int k_backend(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"local", "batch"};
    int i;
    if (yc_enum(y, v, k, names, 2, &i))
        return -1;
    CFG(t)->backend = (config_backend_kind)i;
    return 0;
}

static int k_region(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &CFG(t)->region);
}

static int k_results_url(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (yc_str(y, v, k, &CFG(t)->results_url))
        return -1;
    const char *u = CFG(t)->results_url;
    if (strncmp(u, "s3://", 5) == 0 && (u[5] == '\0' || u[5] == '/'))
        return yc_err(y, v, "%s: \"%s\" names no bucket (s3://BUCKET/PREFIX/)", k, u);
    if (strstr(u, "://") && strncmp(u, "s3://", 5) != 0)
        return yc_err(y, v, "%s: \"%s\": only s3:// URLs or local directories", k, u);
    return 0;
}

static int k_image(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &CFG(t)->image);
}

static int k_image_arch(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"x86_64", "arm64", "multi", "amd64", "aarch64"};
    static const char *const canon[] = {"x86_64", "arm64", "multi", "x86_64", "arm64"};
    int i;
    if (yc_enum(y, v, k, names, 5, &i))
        return -1;
    free(CFG(t)->image_arch);
    CFG(t)->image_arch = strdup(canon[i]);
    return CFG(t)->image_arch ? 0 : yc_err(y, v, "out of memory");
}

static int k_log_group(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &CFG(t)->log_group);
}

static int k_job_timeout(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (yc_duration(y, v, k, &CFG(t)->job_timeout_seconds))
        return -1;
    if (CFG(t)->job_timeout_seconds > 0 && CFG(t)->job_timeout_seconds < 60 &&
        CFG(t)->backend == CONFIG_BACKEND_BATCH)
        return yc_err(y, v, "%s: AWS Batch needs at least 60 seconds", k);
    return 0;
}

static int k_stall_timeout(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_duration(y, v, k, &CFG(t)->stall_timeout_seconds);
}

static int k_max_resubmits(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 0, 100, &CFG(t)->max_resubmits);
}

static int k_replicates(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 10000, &CFG(t)->replicates);
}

static int k_seed(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    long long s;
    if (yc_int(y, v, k, 0, 0x7fffffffffffffffLL, &s))
        return -1;
    CFG(t)->seed = (uint64_t)s;
    CFG(t)->has_seed = 1;
    return 0;
}

static int k_output(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &CFG(t)->output_dir);
}

static int k_instance_types(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (yc_str_list(y, v, k, &CFG(t)->instance_types, &CFG(t)->n_instance_types))
        return -1;
    if (CFG(t)->n_instance_types == 0)
        return yc_err(y, v, "%s: the list is empty", k);
    return 0;
}

static int k_exclude(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str_list(y, v, k, &CFG(t)->exclude_types, &CFG(t)->n_exclude_types);
}

static int k_gpus(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    size_t n = v->type == YAML_SEQUENCE_NODE
                   ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
                   : 1;
    if (n == 0)
        return yc_err(y, v, "%s: the list is empty", k);
    int *g = calloc(n, sizeof *g);
    if (!g)
        return yc_err(y, v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = v->type == YAML_SEQUENCE_NODE
                                      ? yaml_document_get_node(y->doc,
                                                               v->data.sequence.items.start[i])
                                      : v;
        if (yc_int32(y, item, k, 0, 64, &g[i])) {
            free(g);
            return -1;
        }
    }
    free(c->gpu_counts);
    c->gpu_counts = g;
    c->n_gpu_counts = n;
    return 0;
}

static int k_nodes(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type == YAML_SCALAR_NODE) {
        if (yc_int32(y, v, k, 1, 1000, &c->nodes_min))
            return -1;
        c->nodes_max = c->nodes_min;
        return 0;
    }
    if (v->type != YAML_MAPPING_NODE)
        return yc_err(y, v, "%s: expected a number or {min: N, max: M}, got %s", k,
                    yc_kind_word(v));
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        const char *ks = yc_scalar(key);
        static const char *const names[] = {"min", "max"};
        if (ks && strcmp(ks, "min") == 0) {
            if (yc_int32(y, val, "nodes.min", 1, 1000, &c->nodes_min))
                return -1;
        } else if (ks && strcmp(ks, "max") == 0) {
            if (yc_int32(y, val, "nodes.max", 1, 1000, &c->nodes_max))
                return -1;
        } else {
            const char *near = ks ? config_nearest(ks, names, 2) : NULL;
            return near ? yc_err(y, key, "nodes: unknown key \"%s\" (did you mean \"%s\"?)", ks,
                               near)
                        : yc_err(y, key, "nodes: unknown key \"%s\"", ks ? ks : "?");
        }
    }
    if (c->nodes_max < c->nodes_min)
        return yc_err(y, v, "%s: max (%d) is below min (%d)", k, c->nodes_max, c->nodes_min);
    return 0;
}

/* A string is split on blanks (the older tool's run_cmd); a list is taken as argv. */
static int k_command(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type == YAML_SCALAR_NODE) {
        char **argv = NULL;
        size_t n = 0;
        if (config_split_words(yc_scalar(v), &argv, &n) != 0)
            return yc_err(y, v, "out of memory");
        for (size_t i = 0; i < c->n_command; i++)
            free(c->command[i]);
        free(c->command);
        c->command = argv;
        c->n_command = n;
    } else if (yc_str_list(y, v, k, &c->command, &c->n_command)) {
        return -1;
    }
    if (c->n_command == 0)
        return yc_err(y, v, "%s: the command is empty", k);
    return 0;
}

static int k_monitor_args(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str_list(y, v, k, &CFG(t)->monitor_args, &CFG(t)->n_monitor_args);
}

static int env_name_ok(const char *s, size_t n)
{
    if (n == 0 || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

static int k_env(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type == YAML_SEQUENCE_NODE) {
        if (yc_str_list(y, v, k, &c->env, &c->n_env))
            return -1;
        for (size_t i = 0; i < c->n_env; i++) {
            const char *eq = strchr(c->env[i], '=');
            if (!eq || !env_name_ok(c->env[i], (size_t)(eq - c->env[i])))
                return yc_err(y, v, "%s: \"%s\" is not NAME=VALUE", k, c->env[i]);
        }
        return 0;
    }
    if (v->type != YAML_MAPPING_NODE)
        return yc_err(y, v, "%s: expected a mapping NAME: VALUE, got %s", k, yc_kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    char **env = calloc(n ? n : 1, sizeof *env);
    if (!env)
        return yc_err(y, v, "out of memory");
    size_t i = 0;
    int rc = 0;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
         p++, i++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        const char *ks = yc_scalar(key), *vs = yc_scalar(val);
        if (!ks || !env_name_ok(ks, strlen(ks))) {
            rc = yc_err(y, key, "%s: \"%s\" is not a valid variable name", k, ks ? ks : "?");
            break;
        }
        if (!vs) {
            rc = yc_err(y, val, "%s.%s: expected a string, got %s", k, ks, yc_kind_word(val));
            break;
        }
        if (asprintf(&env[i], "%s=%s", ks, vs) < 0) {
            env[i] = NULL;
            rc = yc_err(y, val, "out of memory");
            break;
        }
    }
    if (rc) {
        for (size_t j = 0; j < n; j++)
            free(env[j]);
        free(env);
        return -1;
    }
    for (size_t j = 0; j < c->n_env; j++)
        free(c->env[j]);
    free(c->env);
    c->env = env;
    c->n_env = n;
    return 0;
}

static const key_spec top_keys[] = {
    {"experiment", k_experiment},
    {"backend", k_backend},
    {"region", k_region},
    {"results_url", k_results_url},
    {"image", k_image},
    {"image_arch", k_image_arch},
    {"log_group", k_log_group},
    {"job_timeout", k_job_timeout},
    {"stall_timeout", k_stall_timeout},
    {"max_resubmits", k_max_resubmits},
    {"replicates", k_replicates},
    {"seed", k_seed},
    {"output", k_output},
    {"instance_types", k_instance_types},
    {"exclude_instance_types", k_exclude},
    {"gpus", k_gpus},
    {"nodes", k_nodes},
    {"command", k_command},
    {"monitor_args", k_monitor_args},
    {"env", k_env},
    {"parameters", yc_parameters},
    {"search", yc_search},
    {"local", yc_local},
    {"batch", yc_batch},
    {"pricing", yc_pricing},
    {"prices", yc_prices},
};

const char *const *config_yaml_top_keys(size_t *n)
{
    static const char *names[sizeof top_keys / sizeof top_keys[0]];
    for (size_t i = 0; i < sizeof top_keys / sizeof top_keys[0]; i++)
        names[i] = top_keys[i].key;
    *n = sizeof top_keys / sizeof top_keys[0];
    return names;
}

/* The backend decides some checks (e.g. Batch's 60 s timeout floor): read it first. */
static int prescan_backend(yctx *y, const yaml_node_t *root)
{
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *ks = yc_scalar(yaml_document_get_node(y->doc, p->key));
        if (ks && strcmp(ks, "backend") == 0)
            return k_backend(y, ks, yaml_document_get_node(y->doc, p->value), y->c);
    }
    return 0;
}

int config_parse_yaml(const char *name, const char *buf, size_t len, config *out, char *err,
                      size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yctx y = {.doc = &doc, .name = name, .err = err, .errlen = errlen, .c = out};
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_parser_delete(&parser);
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        snprintf(err, errlen, "%s:1:1: the config is empty", name);
        rc = -1;
    } else if (root->type != YAML_MAPPING_NODE) {
        rc = yc_err(&y, root, "the config must be a mapping of keys, got %s", yc_kind_word(root));
    } else {
        rc = prescan_backend(&y, root);
        if (rc == 0)
            rc = yc_walk_mapping(&y, root, "config", top_keys, sizeof top_keys / sizeof top_keys[0],
                              out);
    }
    if (rc == 0 && !out->source_path && !(out->source_path = strdup(name))) {
        snprintf(err, errlen, "%s: out of memory", name);
        rc = -1;
    }
    yaml_document_delete(&doc);
    return rc;
}

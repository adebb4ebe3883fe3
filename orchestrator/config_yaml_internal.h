/* Internals of the YAML config reader, shared by its files: config_yaml_nodes.c (typed
 * scalars with marks, the mapping walker), config_yaml.c (top-level keys, the entry point),
 * config_yaml_params.c (parameters, search), config_yaml_backends.c (local, batch, prices).
 * Every function returns 0, or -1 with "FILE:LINE:COLUMN: message" in y->err. */
#ifndef ORCHESTRATOR_CONFIG_YAML_INTERNAL_H
#define ORCHESTRATOR_CONFIG_YAML_INTERNAL_H

#include <stddef.h>
#include <yaml.h>

#include "orchestrator/config.h"

typedef struct yctx {
    yaml_document_t *doc;
    const char *name;
    char *err;
    size_t errlen;
    config *c;
} yctx;

typedef int (*key_handler)(yctx *y, const char *key, const yaml_node_t *val, void *target);

typedef struct key_spec {
    const char *key;
    key_handler fn;
} key_spec;

#define CFG(t) ((config *)(t))

__attribute__((format(printf, 3, 4)))
int yc_err(yctx *y, const yaml_node_t *n, const char *fmt, ...);
const char *yc_kind_word(const yaml_node_t *n);    /* "a scalar", "a list", ... */
const char *yc_scalar(const yaml_node_t *n);       /* the text, or NULL for a non-scalar */
int yc_is_null(const yaml_node_t *n);              /* ~, null or nothing */

/* Typed values; key names the value in messages. */
int yc_str(yctx *y, const yaml_node_t *n, const char *key, char **out);
int yc_double(yctx *y, const yaml_node_t *n, const char *key, double min, double max,
              double *out);
int yc_int(yctx *y, const yaml_node_t *n, const char *key, long long min, long long max,
           long long *out);
int yc_int32(yctx *y, const yaml_node_t *n, const char *key, int min, int max, int *out);
int yc_bool(yctx *y, const yaml_node_t *n, const char *key, int *out);
int yc_duration(yctx *y, const yaml_node_t *n, const char *key, double *out);
int yc_enum(yctx *y, const yaml_node_t *n, const char *key, const char *const *names,
            size_t count, int *out);
int yc_str_list(yctx *y, const yaml_node_t *n, const char *key, char ***out, size_t *count);

/* Calls the handler of each key of a mapping; unknown keys are errors naming the nearest
 * valid one; duplicate keys are errors; "key:" with no value keeps the default. */
int yc_walk_mapping(yctx *y, const yaml_node_t *map, const char *where, const key_spec *specs,
                    size_t n_specs, void *target);

/* Section handlers (target: the config). */
int yc_parameters(yctx *y, const char *k, const yaml_node_t *v, void *t);
int yc_search(yctx *y, const char *k, const yaml_node_t *v, void *t);
int yc_local(yctx *y, const char *k, const yaml_node_t *v, void *t);
int yc_batch(yctx *y, const char *k, const yaml_node_t *v, void *t);
int yc_pricing(yctx *y, const char *k, const yaml_node_t *v, void *t);
int yc_prices(yctx *y, const char *k, const yaml_node_t *v, void *t);

#endif

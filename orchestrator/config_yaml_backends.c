/* The local, batch, pricing and prices sections of a YAML config. */
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

/* ---- local ------------------------------------------------------------------------------- */

#define PROF(t) ((config_local_profile *)(t))

static int pr_cpus(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_double(y, v, k, 0.01, 4096, &PROF(t)->cpus);
}

static int pr_memory(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    const char *s = yc_scalar(v);
    if (!s || config_parse_bytes(s, &PROF(t)->memory_bytes) != 0)
        return yc_err(y, v, "%s: expected a size (bytes, or 512MiB, 2GiB), got %s", k,
                    s ? s : yc_kind_word(v));
    if (PROF(t)->memory_bytes < 6 * 1024 * 1024)
        return yc_err(y, v, "%s: %s is too small for a container (at least 6MiB)", k, s);
    return 0;
}

static int pr_price(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    PROF(t)->has_price = 1;
    return yc_double(y, v, k, 0, 1e6, &PROF(t)->price_per_hour);
}

static int pr_arch(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"x86_64", "arm64", "amd64", "aarch64"};
    int i;
    if (yc_enum(y, v, k, names, 4, &i))
        return -1;
    free(PROF(t)->arch);
    PROF(t)->arch = strdup(i == 0 || i == 2 ? "x86_64" : "arm64");
    return PROF(t)->arch ? 0 : yc_err(y, v, "out of memory");
}

static const key_spec profile_keys[] = {
    {"cpus", pr_cpus}, {"memory", pr_memory}, {"price_per_hour", pr_price}, {"arch", pr_arch},
};

static int l_profiles(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config_local *l = &CFG(t)->local;
    if (v->type != YAML_MAPPING_NODE)
        return yc_err(y, v, "%s: expected a mapping of name: {cpus, memory, price_per_hour}, "
                    "got %s", k, yc_kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (l->n_profiles)
        return yc_err(y, v, "%s: given twice", k);
    l->profiles = calloc(n ? n : 1, sizeof *l->profiles);
    if (!l->profiles)
        return yc_err(y, v, "out of memory");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        config_local_profile *pf = &l->profiles[l->n_profiles++];
        const char *name = yc_scalar(key);
        if (!name || !*name || strchr(name, '/') || name[0] == '.')
            return yc_err(y, key, "%s: \"%s\" is not a usable profile name", k, name ? name : "?");
        if (!(pf->name = strdup(name)))
            return yc_err(y, key, "out of memory");
        if (config_find_profile(CFG(t), name) != pf)
            return yc_err(y, key, "%s: \"%s\" is defined twice", k, name);
        char where[160];
        snprintf(where, sizeof where, "local.profiles.%s", name);
        if (yc_walk_mapping(y, val, where, profile_keys, 4, pf))
            return -1;
    }
    return 0;
}

static int l_engine(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"process", "podman", "docker"};
    int i;
    if (yc_enum(y, v, k, names, 3, &i))
        return -1;
    CFG(t)->local.engine = (local_engine)i;
    return 0;
}

static int l_concurrency(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 4096, &CFG(t)->local.concurrency);
}

static int l_monitor(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &CFG(t)->local.monitor_path);
}

static int l_s3_endpoint(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (yc_str(y, v, k, &CFG(t)->local.s3_endpoint))
        return -1;
    const char *u = CFG(t)->local.s3_endpoint;
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return yc_err(y, v, "%s: \"%s\" is not an http(s):// URL", k, u);
    return 0;
}

static const key_spec local_keys[] = {
    {"engine", l_engine}, {"concurrency", l_concurrency}, {"monitor", l_monitor},
    {"s3_endpoint", l_s3_endpoint}, {"profiles", l_profiles},
};

int yc_local(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_walk_mapping(y, v, k, local_keys, sizeof local_keys / sizeof local_keys[0], t);
}

/* ---- batch -------------------------------------------------------------------------------- */

#define BAT(t) (&CFG(t)->batch)

static int b_pinning(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"mnp", "queue-per-type"};
    int i;
    if (yc_enum(y, v, k, names, 2, &i))
        return -1;
    BAT(t)->pinning = (batch_pinning)i;
    return 0;
}

static int b_queue(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &BAT(t)->job_queue);
}

static int b_prefix(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &BAT(t)->name_prefix);
}

static int b_job_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &BAT(t)->job_role_arn);
}

static int b_exec_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &BAT(t)->execution_role_arn);
}

static int b_service_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &BAT(t)->service_role_arn);
}

static int b_instance_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &BAT(t)->instance_role);
}

static int b_subnets(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str_list(y, v, k, &BAT(t)->subnets, &BAT(t)->n_subnets);
}

static int b_sgs(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str_list(y, v, k, &BAT(t)->security_groups, &BAT(t)->n_security_groups);
}

static int b_max_vcpus(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 1000000, &BAT(t)->max_vcpus);
}

static int b_retry(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 10, &BAT(t)->retry_attempts);   /* Batch allows 1..10 */
}

static int b_spot(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_bool(y, v, k, &BAT(t)->spot);
}

static const key_spec batch_keys[] = {
    {"pinning", b_pinning},       {"job_queue", b_queue},
    {"name_prefix", b_prefix},    {"job_role_arn", b_job_role},
    {"execution_role_arn", b_exec_role}, {"service_role_arn", b_service_role},
    {"instance_role", b_instance_role}, {"subnets", b_subnets},
    {"security_groups", b_sgs},   {"max_vcpus", b_max_vcpus},
    {"retry_attempts", b_retry},  {"spot", b_spot},
};

int yc_batch(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_walk_mapping(y, v, k, batch_keys, sizeof batch_keys / sizeof batch_keys[0], t);
}

/* ---- pricing ------------------------------------------------------------------------------ */

static int pc_spot(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_bool(y, v, k, &CFG(t)->pricing.spot);
}

static int pc_max_age(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_double(y, v, k, 0, 36500, &CFG(t)->pricing.max_age_days);
}

static int pc_cache(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &CFG(t)->pricing.cache_path);
}

static const key_spec pricing_keys[] = {
    {"spot", pc_spot}, {"max_age_days", pc_max_age}, {"cache", pc_cache},
};

int yc_pricing(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_walk_mapping(y, v, k, pricing_keys, 3, t);
}

int yc_prices(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config_pricing *pc = &CFG(t)->pricing;
    if (v->type != YAML_MAPPING_NODE)
        return yc_err(y, v, "%s: expected a mapping of instance type: $/h, got %s", k,
                    yc_kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (pc->n_overrides)
        return yc_err(y, v, "%s: given twice", k);
    pc->overrides = calloc(n ? n : 1, sizeof *pc->overrides);
    if (!pc->overrides)
        return yc_err(y, v, "out of memory");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        config_price *o = &pc->overrides[pc->n_overrides];
        if (!yc_scalar(key) || !*yc_scalar(key))
            return yc_err(y, key, "%s: keys are instance type names", k);
        char where[160];
        snprintf(where, sizeof where, "prices.%s", yc_scalar(key));
        if (yc_double(y, val, where, 0, 1e6, &o->per_hour))
            return -1;
        if (!(o->instance_type = strdup(yc_scalar(key))))
            return yc_err(y, key, "out of memory");
        pc->n_overrides++;
    }
    return 0;
}

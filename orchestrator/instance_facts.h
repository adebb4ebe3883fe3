/* Facts about EC2 instance types (vCPUs, memory, architecture, GPUs) from EC2
 * DescribeInstanceTypes, cached on disk with their fetch date like the prices
 * (CACHE_DIR/instance-types-REGION.json, written by `orchestrate prices --update`).
 * instance_facts_get() is the one lookup the orchestrator uses: the cache first, then the
 * built-in table of instance_types.h.
 *
 * Ownership: a table is a caller-owned struct (instance_facts_init/free) owning its
 * strings; instance_type_info results point into the table or static storage. */
#ifndef ORCHESTRATOR_INSTANCE_FACTS_H
#define ORCHESTRATOR_INSTANCE_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "orchestrator/instance_types.h"
#include "uploader/aws.h"

typedef struct instance_facts {
    char *name;
    int vcpus;
    uint64_t memory_mib;
    char *arch;          /* "x86_64" | "arm64" (the first supported architecture) */
    int gpus;            /* GPUs plus inference/training accelerators */
    char *gpu_model;     /* or NULL */
    char *family;        /* "m5" from "m5.large" */
    int generation;      /* 5; 0 when the name has no digit */
} instance_facts;

typedef struct instance_facts_table {
    char *region;
    double fetched_at;   /* epoch seconds, 0 when unknown */
    instance_facts *v;
    size_t n, cap;
} instance_facts_table;

void instance_facts_init(instance_facts_table *t);
void instance_facts_free(instance_facts_table *t);
const instance_facts *instance_facts_find(const instance_facts_table *t, const char *name);

/* Parses one DescribeInstanceTypes response page into t; *next_token malloc'd or NULL. */
int instance_facts_parse_page(const char *xml, size_t len, instance_facts_table *t,
                              char **next_token, char *err, size_t errlen);
/* Fetches the facts of types (all types when n_types is 0) through s (service "ec2"). */
int instance_facts_fetch(aws_session *s, const char *const *types, size_t n_types,
                         instance_facts_table *t, char *err, size_t errlen);

int instance_facts_save(const instance_facts_table *t, const char *path, char *err,
                        size_t errlen);
int instance_facts_load(const char *path, instance_facts_table *t, char *err, size_t errlen);
/* CACHE_DIR/instance-types-REGION.json; caller frees. */
char *instance_facts_cache_path(const char *cache_dir, const char *region);

/* Loads the cache `orchestrate prices --update` wrote for region (NULL: us-east-1) from
 * cache_dir (NULL: prices_default_cache_dir()). A missing cache is not an error: t is left
 * empty and lookups fall back to the built-in table. 0, or -1 with err for a corrupt one. */
int instance_facts_load_default(const char *cache_dir, const char *region,
                                instance_facts_table *t, char *err, size_t errlen);

/* The facts of NAME: from t (may be NULL) when it has them, else the built-in table.
 * 0 and *out filled (family and generation from the name), or -1 when neither knows it. */
int instance_facts_get(const instance_facts_table *t, const char *name,
                       instance_type_info *out);

#endif

/* A built-in table of common EC2 instance types (vCPUs, memory, architecture, family,
 * generation, GPUs), so configs can name whole families ("c7g") or patterns ("m6i.*") and
 * ARM64 types are filtered by the image's architecture without an AWS call. The report
 * engineer's instance_facts.c (DescribeInstanceTypes, cached) is consulted first where
 * available; this table is the offline fallback and the source of family expansion.
 *
 * Everything returned points into static storage: nothing to free. */
#ifndef ORCHESTRATOR_INSTANCE_TYPES_H
#define ORCHESTRATOR_INSTANCE_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef struct instance_type_info {
    const char *name;          /* "c7g.large" */
    const char *family;        /* "c7g" */
    int generation;            /* 7 */
    int vcpus;
    uint64_t memory_mib;
    const char *arch;          /* "x86_64" | "arm64" */
    int gpus;                  /* accelerators: NVIDIA GPUs, Inferentia/Trainium chips */
    const char *gpu_model;     /* "T4", "A10G", "Inferentia2", ... or NULL */
} instance_type_info;

/* The row for an exact name, or NULL. */
const instance_type_info *instance_type_lookup(const char *name);
/* Every row, in table order; *n set. */
const instance_type_info *instance_types_all(size_t *n);

/* 1 when NAME is matched by PATTERN: an exact type, a family ("c7g" matches "c7g.*"), or a
 * shell glob ("m6i.*", "c7?.large"). */
int instance_type_matches(const char *name, const char *pattern);
/* 1 when PATTERN is an exact type, family or glob that matches at least one table row. */
int instance_type_pattern_known(const char *pattern);

/* "x86_64" or "arm64" for a name (table, else the family's naming rule: a 'g' after the
 * generation digit, e.g. c7g, m6gd, t4g, means Graviton); NULL when it cannot tell. */
const char *instance_type_arch(const char *name);
/* Normalises "amd64"/"x86-64" to "x86_64" and "aarch64"/"arm64v8" to "arm64"; NULL if unknown. */
const char *instance_arch_normalise(const char *arch);

#endif

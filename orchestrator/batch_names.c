#include "orchestrator/batch_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/batch_api.h"

void batch_name_prefix(const config *cfg, char out[BATCH_NAME_MAX])
{
    const char *p = cfg->batch.name_prefix && *cfg->batch.name_prefix
                        ? cfg->batch.name_prefix : "orchestrate";
    batch_sanitize_name(p, 40, out, BATCH_NAME_MAX);
}

static void prefixed_type(const config *cfg, const char *type, char out[BATCH_NAME_MAX])
{
    char prefix[BATCH_NAME_MAX], t[BATCH_NAME_MAX];
    batch_name_prefix(cfg, prefix);
    batch_sanitize_name(type, 60, t, sizeof t);
    snprintf(out, BATCH_NAME_MAX, "%.40s-%.60s", prefix, t);
}

void batch_queue_name(const config *cfg, const char *instance_type, char out[BATCH_NAME_MAX])
{
    if (cfg->batch.pinning == BATCH_PIN_QUEUE_PER_TYPE) {
        prefixed_type(cfg, instance_type, out);
    } else if (cfg->batch.job_queue && *cfg->batch.job_queue) {
        snprintf(out, BATCH_NAME_MAX, "%s", cfg->batch.job_queue);
    } else {
        char prefix[BATCH_NAME_MAX];
        batch_name_prefix(cfg, prefix);
        snprintf(out, BATCH_NAME_MAX, "%.40s-queue", prefix);
    }
}

void batch_ce_name(const config *cfg, const char *instance_type, char out[BATCH_NAME_MAX])
{
    if (cfg->batch.pinning == BATCH_PIN_QUEUE_PER_TYPE) {
        prefixed_type(cfg, instance_type, out);
    } else {
        char prefix[BATCH_NAME_MAX];
        batch_name_prefix(cfg, prefix);
        snprintf(out, BATCH_NAME_MAX, "%.40s-ce", prefix);
    }
}

void batch_jobdef_name(const config *cfg, const char *instance_type, int nodes, int gpus,
                       int argc, char out[BATCH_NAME_MAX])
{
    char base[BATCH_NAME_MAX];
    prefixed_type(cfg, instance_type, base);
    char extra[48] = "";
    size_t off = 0;
    if (nodes > 1)
        off += (size_t)snprintf(extra + off, sizeof extra - off, "-n%d", nodes);
    if (gpus > 0)
        off += (size_t)snprintf(extra + off, sizeof extra - off, "-g%d", gpus);
    if (argc > 0)
        snprintf(extra + off, sizeof extra - off, "-a%d", argc);
    snprintf(out, BATCH_NAME_MAX, "%.*s%s", (int)(128 - strlen(extra)), base, extra);
}

static void experiment_part(const config *cfg, char out[BATCH_NAME_MAX])
{
    batch_sanitize_name(cfg->experiment ? cfg->experiment : "experiment", 80, out,
                        BATCH_NAME_MAX);
    /* Batch job names start with a letter or digit. */
    char c = out[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        memmove(out + 1, out, strlen(out) + 1);
        out[0] = 'e';
    }
}

void batch_job_name(const config *cfg, long long first_id, int count, char out[BATCH_NAME_MAX])
{
    char exp[BATCH_NAME_MAX];
    experiment_part(cfg, exp);
    if (count > 1)
        snprintf(out, BATCH_NAME_MAX, "%.80s_j%lld_n%d", exp, first_id, count);
    else
        snprintf(out, BATCH_NAME_MAX, "%.80s_j%lld", exp, first_id);
}

void batch_job_name_filter(const config *cfg, char out[BATCH_NAME_MAX])
{
    char exp[BATCH_NAME_MAX];
    experiment_part(cfg, exp);
    snprintf(out, BATCH_NAME_MAX, "%.80s_j*", exp);
}

int batch_job_name_parse(const config *cfg, const char *name, long long *first_id, int *count)
{
    char exp[BATCH_NAME_MAX];
    experiment_part(cfg, exp);
    size_t n = strlen(exp);
    if (!name || strncmp(name, exp, n) != 0 || strncmp(name + n, "_j", 2) != 0)
        return -1;
    const char *p = name + n + 2;
    char *end;
    if (*p < '0' || *p > '9')
        return -1;
    long long id = strtoll(p, &end, 10);
    long c = 1;
    if (strncmp(end, "_n", 2) == 0) {
        p = end + 2;
        if (*p < '0' || *p > '9')
            return -1;
        c = strtol(p, &end, 10);
        if (c < 2 || c > 10000)
            return -1;
    }
    if (*end)
        return -1;
    *first_id = id;
    *count = (int)c;
    return 0;
}

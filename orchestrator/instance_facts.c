#include "orchestrator/instance_facts.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "orchestrator/ec2_query.h"
#include "orchestrator/prices.h"

void instance_facts_init(instance_facts_table *t)
{
    memset(t, 0, sizeof *t);
}

static void facts_free(instance_facts *f)
{
    free(f->name);
    free(f->arch);
    free(f->gpu_model);
    free(f->family);
    memset(f, 0, sizeof *f);
}

void instance_facts_free(instance_facts_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        facts_free(&t->v[i]);
    free(t->v);
    free(t->region);
    memset(t, 0, sizeof *t);
}

const instance_facts *instance_facts_find(const instance_facts_table *t, const char *name)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return &t->v[i];
    return NULL;
}

/* "m5.large" -> family "m5", generation 5 (the first digits of the family). */
static int name_parts(const char *name, char **family, int *generation)
{
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    *family = strndup(name, n);
    *generation = 0;
    for (size_t i = 0; i < n; i++) {
        if (isdigit((unsigned char)name[i])) {
            *generation = atoi(name + i);
            break;
        }
    }
    return *family ? 0 : -1;
}

/* Takes ownership of f's strings (on success and on failure). Replaces a known type. */
static int table_add(instance_facts_table *t, instance_facts *f)
{
    if (!f->family && name_parts(f->name, &f->family, &f->generation) != 0)
        goto fail;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].name, f->name) == 0) {
            facts_free(&t->v[i]);
            t->v[i] = *f;
            return 0;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        instance_facts *grown = realloc(t->v, cap * sizeof *grown);
        if (!grown)
            goto fail;
        t->v = grown;
        t->cap = cap;
    }
    t->v[t->n++] = *f;
    return 0;
fail:
    facts_free(f);
    return -1;
}

/* ---- DescribeInstanceTypes XML ---- */

#define TYPES "/DescribeInstanceTypesResponse/instanceTypeSet/item"

typedef struct page_reader {
    instance_facts_table *t;
    instance_facts cur;
    char *next_token;
    int failed;
} page_reader;

static int set_str(char **dst, const char *text)
{
    if (*dst)
        return 0; /* the first value wins: the first architecture, the first GPU model */
    *dst = strdup(text);
    return *dst ? 0 : -1;
}

static int on_leaf(page_reader *r, const char *leaf, const char *text)
{
    instance_facts *f = &r->cur;
    if (strcmp(leaf, "instanceType") == 0)
        return set_str(&f->name, text);
    if (strcmp(leaf, "vCpuInfo/defaultVCpus") == 0)
        f->vcpus = atoi(text);
    else if (strcmp(leaf, "memoryInfo/sizeInMiB") == 0)
        f->memory_mib = strtoull(text, NULL, 10);
    else if (strcmp(leaf, "processorInfo/supportedArchitectures/item") == 0)
        return set_str(&f->arch, text);
    else if (strcmp(leaf, "gpuInfo/gpus/item/count") == 0 ||
             strcmp(leaf, "inferenceAcceleratorInfo/accelerators/item/count") == 0 ||
             strcmp(leaf, "neuronInfo/neuronDevices/item/count") == 0)
        f->gpus += atoi(text);
    else if (strcmp(leaf, "gpuInfo/gpus/item/name") == 0 ||
             strcmp(leaf, "inferenceAcceleratorInfo/accelerators/item/name") == 0 ||
             strcmp(leaf, "neuronInfo/neuronDevices/item/name") == 0)
        return set_str(&f->gpu_model, text);
    return 0;
}

static int on_end(void *ud, const char *path, const char *text)
{
    page_reader *r = ud;
    size_t tl = strlen(TYPES);
    if (strncmp(path, TYPES, tl) == 0 && path[tl] == '/')
        return on_leaf(r, path + tl + 1, text);
    if (strcmp(path, TYPES) == 0) {
        int rc = 0;
        if (r->cur.name && r->cur.name[0] && r->cur.vcpus > 0)
            rc = table_add(r->t, &r->cur);
        else
            facts_free(&r->cur);
        memset(&r->cur, 0, sizeof r->cur);
        return rc;
    }
    if (strcmp(path, "/DescribeInstanceTypesResponse/nextToken") == 0 && *text) {
        free(r->next_token);
        r->next_token = strdup(text);
        return r->next_token ? 0 : -1;
    }
    return 0;
}

int instance_facts_parse_page(const char *xml, size_t len, instance_facts_table *t,
                              char **next_token, char *err, size_t errlen)
{
    page_reader r = { .t = t };
    *next_token = NULL;
    int rc = xml_walk(xml, len, on_end, &r, err, errlen);
    facts_free(&r.cur);
    if (rc != 0) {
        free(r.next_token);
        return -1;
    }
    *next_token = r.next_token;
    return 0;
}

/* DescribeInstanceTypes takes at most 100 names per call. */
#define NAMES_PER_CALL 100
#define MAX_PAGES 200

static char *types_form(const char *const *types, size_t n, const char *token)
{
    strbuf sb = STRBUF_INIT;
    char key[48];
    int rc = ec2_query_param(&sb, "Action", "DescribeInstanceTypes");
    rc |= ec2_query_param(&sb, "Version", "2016-11-15");
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "InstanceType.%zu", i + 1);
        rc |= ec2_query_param(&sb, key, types[i]);
    }
    if (n == 0)
        rc |= ec2_query_param(&sb, "MaxResults", "100");
    if (token)
        rc |= ec2_query_param(&sb, "NextToken", token);
    if (rc != 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

static int fetch_batch(aws_session *s, const char *const *types, size_t n,
                       instance_facts_table *t, char *err, size_t errlen)
{
    char *token = NULL;
    int rc = 0, pages = 0;
    do {
        char *form = types_form(types, n, token);
        free(token);
        token = NULL;
        if (!form) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        aws_response resp;
        rc = ec2_query_call(s, "DescribeInstanceTypes", form, &resp, err, errlen);
        if (rc == 0)
            rc = instance_facts_parse_page(resp.body, resp.body_len, t, &token, err, errlen);
        aws_response_free(&resp);
        free(form);
    } while (rc == 0 && token && ++pages < MAX_PAGES);
    free(token);
    return rc;
}

int instance_facts_fetch(aws_session *s, const char *const *types, size_t n_types,
                         instance_facts_table *t, char *err, size_t errlen)
{
    free(t->region);
    t->region = strdup(aws_session_region(s));
    t->fetched_at = wall_seconds();
    if (n_types == 0)
        return fetch_batch(s, NULL, 0, t, err, errlen);
    for (size_t i = 0; i < n_types; i += NAMES_PER_CALL) {
        size_t n = n_types - i < NAMES_PER_CALL ? n_types - i : NAMES_PER_CALL;
        if (fetch_batch(s, types + i, n, t, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* ---- the cache file ---- */

int instance_facts_save(const instance_facts_table *t, const char *path, char *err,
                        size_t errlen)
{
    char when[32];
    format_rfc3339_ms(t->fetched_at, when, sizeof when);
    json_t *types = json_object();
    json_t *root = json_pack("{s:s, s:s, s:s, s:o}", "region", t->region ? t->region : "",
                             "source", "ec2:DescribeInstanceTypes", "fetched_at", when,
                             "types", types);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        const instance_facts *f = &t->v[i];
        json_object_set_new(types, f->name,
            json_pack("{s:i, s:I, s:s, s:i, s:s?}", "vcpus", f->vcpus,
                      "memory_mib", (json_int_t)f->memory_mib,
                      "architecture", f->arch ? f->arch : "", "gpus", f->gpus,
                      "gpu_model", f->gpu_model));
    }
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir_p(dir);
    }
    free(dir);
    int rc = 0;
    if (!text || write_file_atomic(path, text, strlen(text)) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

static int facts_from_json(const char *name, json_t *o, instance_facts *f)
{
    const char *arch = json_string_value(json_object_get(o, "architecture"));
    const char *gpu = json_string_value(json_object_get(o, "gpu_model"));
    memset(f, 0, sizeof *f);
    f->vcpus = (int)json_integer_value(json_object_get(o, "vcpus"));
    json_int_t mib = json_integer_value(json_object_get(o, "memory_mib"));
    f->memory_mib = mib > 0 ? (uint64_t)mib : 0;
    f->gpus = (int)json_integer_value(json_object_get(o, "gpus"));
    f->name = strdup(name);
    f->arch = arch && *arch ? strdup(arch) : NULL;
    f->gpu_model = gpu ? strdup(gpu) : NULL;
    return f->name ? 0 : -1;
}

int instance_facts_load(const char *path, instance_facts_table *t, char *err, size_t errlen)
{
    json_error_t jerr;
    instance_facts_init(t);
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "cannot read %s: %s", path, jerr.text);
        return -1;
    }
    int rc = -1;
    json_t *types = json_object_get(root, "types");
    const char *region = json_string_value(json_object_get(root, "region"));
    const char *when = json_string_value(json_object_get(root, "fetched_at"));
    if (!json_is_object(types)) {
        snprintf(err, errlen, "%s: not an instance-type cache (no \"types\")", path);
        goto out;
    }
    t->region = region ? strdup(region) : NULL;
    if (!when || parse_rfc3339(when, &t->fetched_at) != 0)
        t->fetched_at = 0;
    const char *name;
    json_t *o;
    json_object_foreach(types, name, o) {
        instance_facts f;
        if (!json_is_object(o) || facts_from_json(name, o, &f) != 0 || table_add(t, &f) != 0) {
            snprintf(err, errlen, "%s: bad entry for %s", path, name);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        instance_facts_free(t);
    return rc;
}

char *instance_facts_cache_path(const char *cache_dir, const char *region)
{
    char name[160];
    snprintf(name, sizeof name, "instance-types-%s.json", region);
    return path_join(cache_dir, name);
}

int instance_facts_load_default(const char *cache_dir, const char *region,
                                instance_facts_table *t, char *err, size_t errlen)
{
    instance_facts_init(t);
    char *dir = cache_dir ? strdup(cache_dir) : prices_default_cache_dir();
    char *path = dir ? instance_facts_cache_path(dir, region ? region : "us-east-1") : NULL;
    int rc = 0;
    if (!path) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else if (file_exists(path)) {
        rc = instance_facts_load(path, t, err, errlen);
    }
    free(path);
    free(dir);
    return rc;
}

int instance_facts_get(const instance_facts_table *t, const char *name,
                       instance_type_info *out)
{
    const instance_facts *f = instance_facts_find(t, name);
    if (f) {
        out->name = f->name;
        out->family = f->family;
        out->generation = f->generation;
        out->vcpus = f->vcpus;
        out->memory_mib = f->memory_mib;
        out->arch = f->arch ? f->arch : instance_type_arch(name);
        out->gpus = f->gpus;
        out->gpu_model = f->gpu_model;
        return 0;
    }
    const instance_type_info *builtin = instance_type_lookup(name);
    if (!builtin)
        return -1;
    *out = *builtin;
    return 0;
}

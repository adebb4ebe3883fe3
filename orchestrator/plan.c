/* The plan: concrete instance types, the full factorial of parameter points, point tags and
 * the job's argv. */
#include "orchestrator/plan.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "orchestrator/instance_types.h"

void plan_strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- instance types ----------------------------------------------------------------- */

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static int strlist_add_unique(strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static int excluded(const config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_exclude_types; i++) {
        const char *x = cfg->exclude_types[i];
        /* The older tool dropped any type containing an exclude as a substring. */
        if (instance_type_matches(name, x) || strstr(name, x))
            return 1;
    }
    return 0;
}

static int arch_ok(const config *cfg, const char *name)
{
    const char *want = cfg->image_arch ? cfg->image_arch : "x86_64";
    if (strcmp(want, "multi") == 0)
        return 1;
    const char *have = instance_type_arch(name);
    return !have || strcmp(have, want) == 0;
}

/* One config entry: an exact type, a family or a glob, expanded from the table. */
static int expand_entry(const config *cfg, const char *entry, strlist *out, char *err,
                        size_t errlen)
{
    size_t n_table, matched = 0, dropped_arch = 0, dropped_excl = 0;
    const instance_type_info *table = instance_types_all(&n_table);
    int exact = strchr(entry, '.') && !strpbrk(entry, "*?[");
    if (exact && !instance_type_lookup(entry)) {
        /* Newer than the table: trust the name (AWS will reject it if it is wrong). */
        if (!arch_ok(cfg, entry))
            dropped_arch++;
        else if (!excluded(cfg, entry) && strlist_add_unique(out, entry))
            goto oom;
        matched = 1;
    }
    for (size_t i = 0; i < n_table && !(exact && matched); i++) {
        const char *name = table[i].name;
        if (!instance_type_matches(name, entry))
            continue;
        matched++;
        if (excluded(cfg, name)) {
            dropped_excl++;
            continue;
        }
        if (!arch_ok(cfg, name)) {
            dropped_arch++;
            continue;
        }
        if (strlist_add_unique(out, name))
            goto oom;
    }
    if (!matched) {
        snprintf(err, errlen, "%s: instance type, family or pattern \"%s\" matches nothing "
                 "known (give an exact type such as c7i.large)",
                 cfg->source_path ? cfg->source_path : "config", entry);
        return -1;
    }
    /* A type or family named outright that the image cannot run is a mistake; a glob
     * just keeps what fits. */
    if (dropped_arch && dropped_arch + dropped_excl == matched && !strpbrk(entry, "*?[")) {
        if (cfg->legacy_json) {
            log_warn("%s: %s skipped: its architecture differs from the image's (%s)",
                     cfg->source_path ? cfg->source_path : "config", entry,
                     cfg->image_arch ? cfg->image_arch : "x86_64");
            return 0;
        }
        const char *want = cfg->image_arch ? cfg->image_arch : "x86_64";
        snprintf(err, errlen, "%s: %s is not %s like the image (set image_arch: multi, or "
                 "leave it out)", cfg->source_path ? cfg->source_path : "config", entry, want);
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int plan_instance_types(const config *cfg, char ***out, size_t *n, char *err, size_t errlen)
{
    strlist l = {0};
    for (size_t i = 0; i < cfg->n_instance_types; i++) {
        const char *entry = cfg->instance_types[i];
        int rc = cfg->backend == CONFIG_BACKEND_LOCAL
                     ? (excluded(cfg, entry) ? 0 : strlist_add_unique(&l, entry))
                     : expand_entry(cfg, entry, &l, err, errlen);
        if (rc) {
            if (cfg->backend == CONFIG_BACKEND_LOCAL)
                snprintf(err, errlen, "out of memory");
            plan_strings_free(l.v, l.n);
            return -1;
        }
    }
    if (l.n == 0) {
        snprintf(err, errlen, "%s: no instance type is left after excludes and the architecture "
                 "filter", cfg->source_path ? cfg->source_path : "config");
        plan_strings_free(l.v, l.n);
        return -1;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

/* ---- points -------------------------------------------------------------------------- */

char *plan_escape_value(const char *v)
{
    strbuf sb = STRBUF_INIT;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        int ok = isalnum(*p) || *p == '.' || *p == '-';
        if (ok ? sb_putc(&sb, (char)*p) : sb_printf(&sb, "~%02X", *p)) {
            sb_free(&sb);
            return NULL;
        }
    }
    return sb_detach(&sb);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Tags longer than this are cut and made unique by a hash (file names stay < 255 bytes). */
#define TAG_MAX 200

char *plan_point_tag(const config *cfg, char *const *values, int nodes, int gpus)
{
    strbuf sb = STRBUF_INIT;
    int first = 1, bad = 0;
    for (size_t i = 0; i < cfg->n_params && !bad; i++) {
        char *esc = plan_escape_value(values[i] ? values[i] : "");
        bad = !esc || sb_printf(&sb, "%s%s-%s", first ? "" : "_", cfg->params[i].name, esc);
        free(esc);
        first = 0;
    }
    if (!bad && cfg->nodes_max > cfg->nodes_min)
        bad = sb_printf(&sb, "%snodes-%d", first ? "" : "_", nodes), first = 0;
    if (!bad && cfg->n_gpu_counts > 1)
        bad = sb_printf(&sb, "%sgpus-%d", first ? "" : "_", gpus), first = 0;
    if (!bad && first)
        bad = sb_puts(&sb, "default");
    if (bad) {
        sb_free(&sb);
        return NULL;
    }
    if (sb.len > TAG_MAX) {
        uint64_t h = fnv1a(sb.buf);
        sb.len = TAG_MAX - 17;
        sb.buf[sb.len] = '\0';
        if (sb_printf(&sb, "~%016llx", (unsigned long long)h)) {
            sb_free(&sb);
            return NULL;
        }
    }
    return sb_detach(&sb);
}

int plan_point_make_tag(const config *cfg, plan_point *p)
{
    free(p->tag);
    p->tag = plan_point_tag(cfg, p->values, p->nodes, p->gpus);
    return p->tag ? 0 : -1;
}

static char *format_number(double v, int integer)
{
    char *s = NULL;
    int r = integer ? asprintf(&s, "%lld", (long long)llround(v)) : asprintf(&s, "%.6g", v);
    return r < 0 ? NULL : s;
}

/* A parameter's plan values: its list, or `count` points spread over min..max (log-spaced
 * on a log scale; integers rounded and de-duplicated). */
static int param_values(const config_param *p, char ***out, size_t *n)
{
    if (p->n_values) {
        char **v = calloc(p->n_values, sizeof *v);
        if (!v)
            return -1;
        for (size_t i = 0; i < p->n_values; i++)
            if (!(v[i] = strdup(p->values[i]))) {
                plan_strings_free(v, i);
                return -1;
            }
        *out = v;
        *n = p->n_values;
        return 0;
    }
    int count = p->count > 0 ? p->count : 1;
    char **v = calloc((size_t)count, sizeof *v);
    size_t k = 0;
    if (!v)
        return -1;
    for (int i = 0; i < count; i++) {
        double f = count == 1 ? 0.5 : (double)i / (count - 1);
        double x = p->scale == PARAM_SCALE_LOG ? exp(log(p->min) + f * (log(p->max) - log(p->min)))
                                               : p->min + f * (p->max - p->min);
        char *s = format_number(x, p->kind == PARAM_INT);
        if (!s) {
            plan_strings_free(v, k);
            return -1;
        }
        if (k > 0 && strcmp(v[k - 1], s) == 0) {
            free(s);
            continue;
        }
        v[k++] = s;
    }
    *out = v;
    *n = k;
    return 0;
}

void plan_points_free(plan_point *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        plan_strings_free(p[i].values, p[i].n_values);
        free(p[i].tag);
    }
    free(p);
}

typedef struct factorial {
    char ***vals;     /* per parameter: its values */
    size_t *nvals;
    size_t nparams;
} factorial;

static void factorial_free(factorial *f)
{
    for (size_t i = 0; i < f->nparams; i++)
        plan_strings_free(f->vals[i], f->nvals[i]);
    free(f->vals);
    free(f->nvals);
}

/* Fills point `idx` of the factorial (mixed radix, the last parameter fastest). */
static int fill_point(const config *cfg, const factorial *f, size_t idx, int nodes, int gpus,
                      plan_point *p)
{
    p->n_values = f->nparams;
    p->values = calloc(f->nparams ? f->nparams : 1, sizeof *p->values);
    if (!p->values)
        return -1;
    for (size_t d = f->nparams; d-- > 0;) {
        size_t which = idx % f->nvals[d];
        idx /= f->nvals[d];
        if (!(p->values[d] = strdup(f->vals[d][which])))
            return -1;
    }
    p->nodes = nodes;
    p->gpus = gpus;
    return plan_point_make_tag(cfg, p);
}

int plan_points(const config *cfg, plan_point **out, size_t *n, char *err, size_t errlen)
{
    factorial f = {.nparams = cfg->n_params};
    f.vals = calloc(f.nparams ? f.nparams : 1, sizeof *f.vals);
    f.nvals = calloc(f.nparams ? f.nparams : 1, sizeof *f.nvals);
    size_t combos = 1, k = 0;
    plan_point *pts = NULL;
    if (!f.vals || !f.nvals)
        goto oom;
    for (size_t i = 0; i < f.nparams; i++) {
        if (param_values(&cfg->params[i], &f.vals[i], &f.nvals[i]))
            goto oom;
        if (f.nvals[i] == 0 || combos > 1000000 / f.nvals[i]) {
            snprintf(err, errlen, "%s: the plan has more than 1,000,000 points; use a search",
                     cfg->source_path ? cfg->source_path : "config");
            factorial_free(&f);
            return -1;
        }
        combos *= f.nvals[i];
    }
    size_t n_nodes = (size_t)(cfg->nodes_max - cfg->nodes_min + 1);
    size_t n_gpus = cfg->n_gpu_counts ? cfg->n_gpu_counts : 1;
    size_t total = combos * n_nodes * n_gpus;
    pts = calloc(total, sizeof *pts);
    if (!pts)
        goto oom;
    for (size_t g = 0; g < n_gpus; g++)
        for (size_t nd = 0; nd < n_nodes; nd++)
            for (size_t c = 0; c < combos; c++, k++)
                if (fill_point(cfg, &f, c, cfg->nodes_min + (int)nd,
                               cfg->n_gpu_counts ? cfg->gpu_counts[g] : 0, &pts[k])) {
                    k++;
                    goto oom;
                }
    factorial_free(&f);
    *out = pts;
    *n = total;
    return 0;
oom:
    plan_points_free(pts, k);
    factorial_free(&f);
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* ---- argv ------------------------------------------------------------------------------ */

void plan_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* Replaces every {NAME} in s with the parameter's value. */
static char *substitute(const config *cfg, const plan_point *p, const char *s, char *err,
                        size_t errlen)
{
    strbuf sb = STRBUF_INIT;
    const char *q = s;
    while (*q) {
        const char *open = strchr(q, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            if (sb_puts(&sb, q))
                goto oom;
            break;
        }
        if (sb_append(&sb, q, (size_t)(open - q)))
            goto oom;
        size_t i;
        for (i = 0; i < cfg->n_params; i++) {
            const char *name = cfg->params[i].name;
            if (strlen(name) == (size_t)(close - open - 1) &&
                strncmp(open + 1, name, (size_t)(close - open - 1)) == 0)
                break;
        }
        if (i == cfg->n_params) {
            snprintf(err, errlen, "command: {%.*s} is not a parameter", (int)(close - open - 1),
                     open + 1);
            sb_free(&sb);
            return NULL;
        }
        if (sb_puts(&sb, p->values[i]))
            goto oom;
        q = close + 1;
    }
    if (sb_reserve(&sb, 1))
        goto oom;
    return sb_detach(&sb);
oom:
    sb_free(&sb);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

int plan_argv(const config *cfg, const plan_point *p, char ***argv, char *err, size_t errlen)
{
    size_t cap = 1, k = 0;
    for (size_t i = 0; i < cfg->n_command; i++)
        cap += strcmp(cfg->command[i], "ARGS") == 0 ? cfg->n_params : 1;
    char **v = calloc(cap, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_command; i++) {
        if (strcmp(cfg->command[i], "ARGS") == 0) {
            for (size_t j = 0; j < cfg->n_params; j++)
                if (!(v[k++] = strdup(p->values[j])))
                    goto oom;
            continue;
        }
        if (!(v[k++] = substitute(cfg, p, cfg->command[i], err, errlen))) {
            plan_argv_free(v);
            return -1;
        }
    }
    *argv = v;
    return 0;
oom:
    plan_argv_free(v);
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* ---- points as JSON ---------------------------------------------------------------------- */

char *plan_point_params_json(const config *cfg, const plan_point *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < cfg->n_params; i++)
        if (json_object_set_new(o, cfg->params[i].name, json_string(p->values[i]))) {
            json_decref(o);
            return NULL;
        }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

int plan_point_from_params_json(const config *cfg, const char *text, plan_point *p)
{
    json_t *o = json_loads(text ? text : "{}", 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    p->values = calloc(cfg->n_params ? cfg->n_params : 1, sizeof *p->values);
    p->n_values = 0;
    int rc = p->values ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < cfg->n_params; i++) {
        const char *v = json_string_value(json_object_get(o, cfg->params[i].name));
        if (!v || !(p->values[i] = strdup(v)))
            rc = -1;
        else
            p->n_values = i + 1;
    }
    json_decref(o);
    if (rc) {
        plan_strings_free(p->values, p->n_values);
        p->values = NULL;
        p->n_values = 0;
    }
    return rc;
}

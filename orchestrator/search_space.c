#include "orchestrator/search_space.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void search_space_init(search_space *sp)
{
    memset(sp, 0, sizeof *sp);
}

void search_instance_info_clear(search_instance_info *info)
{
    free(info->name);
    free(info->arch);
    free(info->family);
    memset(info, 0, sizeof *info);
}

static void dim_free(search_dim *d)
{
    free(d->name);
    for (size_t i = 0; i < d->n_labels; i++) {
        free(d->labels[i]);
        if (d->inst)
            search_instance_info_clear(&d->inst[i]);
    }
    free(d->labels);
    free(d->inst);
    free(d->enc_table);
}

void search_space_free(search_space *sp)
{
    for (size_t i = 0; i < sp->n_dims; i++)
        dim_free(&sp->dims[i]);
    free(sp->dims);
    memset(sp, 0, sizeof *sp);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Appends a zeroed dimension named name; NULL (with err) on a clash or no memory. */
static search_dim *add_dim(search_space *sp, const char *name, search_dim_kind kind,
                           char *err, size_t errlen)
{
    if (sp->finalized) {
        snprintf(err, errlen, "search space: dimension %s added after finalize", name);
        return NULL;
    }
    if (!name || !*name) {
        snprintf(err, errlen, "search space: a dimension needs a name");
        return NULL;
    }
    if (search_space_find(sp, name) >= 0) {
        snprintf(err, errlen, "search space: dimension %s given twice", name);
        return NULL;
    }
    search_dim *grown = realloc(sp->dims, (sp->n_dims + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    sp->dims = grown;
    search_dim *d = &sp->dims[sp->n_dims];
    memset(d, 0, sizeof *d);
    d->name = strdup(name);
    if (!d->name)
        goto oom;
    d->kind = kind;
    sp->n_dims++;
    return d;
oom:
    snprintf(err, errlen, "search space: out of memory");
    return NULL;
}

static int add_range(search_space *sp, const char *name, search_dim_kind kind, double lo,
                     double hi, int log_scale, char *err, size_t errlen)
{
    if (!isfinite(lo) || !isfinite(hi) || lo > hi) {
        snprintf(err, errlen, "search space: %s: bounds %g..%g are not a range", name, lo, hi);
        return -1;
    }
    if (kind == SDIM_INT && (lo != floor(lo) || hi != floor(hi))) {
        snprintf(err, errlen, "search space: %s: integer bounds must be whole numbers", name);
        return -1;
    }
    if (log_scale && lo <= 0) {
        snprintf(err, errlen, "search space: %s: a log scale needs bounds above 0", name);
        return -1;
    }
    search_dim *d = add_dim(sp, name, kind, err, errlen);
    if (!d)
        return -1;
    d->lo = lo;
    d->hi = hi;
    d->log_scale = log_scale;
    return 0;
}

int search_space_add_int(search_space *sp, const char *name, double lo, double hi,
                         int log_scale, char *err, size_t errlen)
{
    return add_range(sp, name, SDIM_INT, lo, hi, log_scale, err, errlen);
}

int search_space_add_float(search_space *sp, const char *name, double lo, double hi,
                           int log_scale, char *err, size_t errlen)
{
    return add_range(sp, name, SDIM_FLOAT, lo, hi, log_scale, err, errlen);
}

static int add_options(search_space *sp, const char *name, search_dim_kind kind,
                       const char *const *labels, size_t n, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "search space: %s: no values", name);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i], labels[j]) == 0) {
                snprintf(err, errlen, "search space: %s: value %s given twice", name, labels[i]);
                return -1;
            }
    search_dim *d = add_dim(sp, name, kind, err, errlen);
    if (!d)
        return -1;
    d->labels = calloc(n, sizeof *d->labels);
    if (!d->labels)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        d->labels[i] = strdup(labels[i]);
        if (!d->labels[i])
            goto oom;
        d->n_labels = i + 1;
    }
    d->lo = 0;
    d->hi = (double)(n - 1);
    return 0;
oom:
    snprintf(err, errlen, "search space: out of memory");
    return -1;
}

int search_space_add_categorical(search_space *sp, const char *name,
                                 const char *const *labels, size_t n, char *err, size_t errlen)
{
    return add_options(sp, name, SDIM_CATEGORICAL, labels, n, err, errlen);
}

int search_space_add_ordinal(search_space *sp, const char *name,
                             const char *const *labels, size_t n, char *err, size_t errlen)
{
    return add_options(sp, name, SDIM_ORDINAL, labels, n, err, errlen);
}

int search_space_add_instance(search_space *sp, const char *name,
                              const search_instance_info *infos, size_t n,
                              char *err, size_t errlen)
{
    const char **labels = calloc(n ? n : 1, sizeof *labels);
    if (!labels) {
        snprintf(err, errlen, "search space: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = infos[i].name ? infos[i].name : "";
    int rc = add_options(sp, name, SDIM_INSTANCE, labels, n, err, errlen);
    free(labels);
    if (rc != 0)
        return -1;
    search_dim *d = &sp->dims[sp->n_dims - 1];
    d->inst = calloc(n, sizeof *d->inst);
    if (!d->inst)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        d->inst[i] = infos[i];
        d->inst[i].name = dup_or_null(infos[i].name);
        d->inst[i].arch = dup_or_null(infos[i].arch);
        d->inst[i].family = dup_or_null(infos[i].family);
        if ((infos[i].name && !d->inst[i].name) || (infos[i].arch && !d->inst[i].arch) ||
            (infos[i].family && !d->inst[i].family))
            goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "search space: out of memory");
    return -1;
}

/* ---- instance names ------------------------------------------------------------------- */

/* vCPUs of a size name: large 2, xlarge 4, Nxlarge 4N; the small t sizes 1 or 2. */
static double size_vcpus(const char *size)
{
    if (strcmp(size, "nano") == 0 || strcmp(size, "micro") == 0 || strcmp(size, "small") == 0)
        return 1;
    if (strcmp(size, "medium") == 0 || strcmp(size, "large") == 0)
        return 2;
    if (strcmp(size, "xlarge") == 0)
        return 4;
    char *end;
    double n = strtod(size, &end);
    if (end != size && n > 0 && strcmp(end, "xlarge") == 0)
        return 4 * n;
    if (strncmp(size, "metal", 5) == 0)
        return 96;
    return 0;
}

/* GiB per vCPU of the usual families; 0 when not known. */
static double family_gib_per_vcpu(const char *family)
{
    switch (family[0]) {
    case 'c': return 2;
    case 'm': case 't': case 'a': case 'g': return 4;
    case 'r': case 'i': case 'd': case 'z': case 'p': return 8;
    case 'x': case 'u': return 16;
    default: return 0;
    }
}

int search_instance_guess(const char *name, search_instance_info *out)
{
    memset(out, 0, sizeof *out);
    const char *dot = strchr(name, '.');
    size_t flen = 0;
    while (name[flen] && isalpha((unsigned char)name[flen]) && name + flen != dot)
        flen++;
    if (!dot || flen == 0 || !isdigit((unsigned char)name[flen]) || !dot[1])
        return -1;
    int gen = 0;
    size_t i = flen;
    while (isdigit((unsigned char)name[i]) && gen < 1000)
        gen = gen * 10 + (name[i++] - '0');
    /* Suffix letters after the generation: "g" means Graviton (arm64), except g-family
     * GPU types where the family letter itself is g ("g5.xlarge"). */
    int arm = 0;
    for (const char *p = name + i; p < dot; p++)
        if (*p == 'g')
            arm = 1;
    out->name = strdup(name);
    out->family = strndup(name, flen);
    out->arch = strdup(arm ? "arm64" : "x86_64");
    if (!out->name || !out->family || !out->arch) {
        search_instance_info_clear(out);
        return -1;
    }
    out->generation = gen;
    out->vcpus = size_vcpus(dot + 1);
    double per = family_gib_per_vcpu(out->family);
    out->memory_gib = out->vcpus > 0 ? per * out->vcpus : 0;
    out->gpus = (out->family[0] == 'p' || (out->family[0] == 'g' && !arm)) ? 1 : 0;
    return 0;
}

/* ---- encoding ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Replaces NaN entries (unknown) by the median of the known ones, or 0 when none is. */
static void impute_median(double *v, size_t n, double *scratch)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            scratch[k++] = v[i];
    double med = 0;
    if (k) {
        qsort(scratch, k, sizeof *scratch, cmp_double);
        med = k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
    }
    for (size_t i = 0; i < n; i++)
        if (isnan(v[i]))
            v[i] = med;
}

static double log_or_nan(double v)
{
    return v > 0 ? log(v) : NAN;
}

/* Raw instance features before scaling, NaN where unknown: log vCPUs, log memory per
 * vCPU, arm64, generation, log(1 + GPUs), log price. */
#define INST_NUM_FEATURES 6
static void instance_raw(const search_instance_info *in, double *f)
{
    f[0] = log_or_nan(in->vcpus);
    f[1] = in->vcpus > 0 && in->memory_gib > 0 ? log(in->memory_gib / in->vcpus) : NAN;
    f[2] = in->arch ? (strcmp(in->arch, "arm64") == 0 || strcmp(in->arch, "aarch64") == 0) : NAN;
    f[3] = in->generation > 0 ? in->generation : NAN;
    f[4] = log1p(in->gpus > 0 ? in->gpus : 0);
    f[5] = log_or_nan(in->price_per_hour);
}

/* Scales column c of an n×w table to [0, 1]; 0 when constant (then the caller drops it). */
static int scale_column(double *t, size_t n, size_t w, size_t c)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, t[i * w + c]);
        hi = fmax(hi, t[i * w + c]);
    }
    if (!(hi - lo > 1e-12))
        return 0;
    for (size_t i = 0; i < n; i++)
        t[i * w + c] = (t[i * w + c] - lo) / (hi - lo);
    return 1;
}

/* Keeps the columns of an n×w table flagged in keep; returns the new width. */
static size_t compact_columns(double *t, size_t n, size_t w, const int *keep)
{
    size_t nw = 0;
    for (size_t c = 0; c < w; c++)
        nw += keep[c] != 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (size_t c = 0; c < w; c++)
            if (keep[c])
                t[i * nw + k++] = t[i * w + c];
    }
    return nw;
}

/* Distinct families of an instance dimension, up to max; returns the count (max + 1 when
 * there are more). */
static size_t families(const search_dim *d, const char **fam, size_t max)
{
    size_t nf = 0;
    for (size_t i = 0; i < d->n_labels; i++) {
        const char *f = d->inst[i].family ? d->inst[i].family : "";
        size_t j = 0;
        while (j < nf && strcmp(fam[j], f) != 0)
            j++;
        if (j == nf) {
            if (nf == max)
                return max + 1;
            fam[nf++] = f;
        }
    }
    return nf;
}

#define MAX_FAMILY_COLUMNS 12

static int memory_per_vcpu_known(const search_dim *d)
{
    double first = NAN;
    for (size_t i = 0; i < d->n_labels; i++) {
        const search_instance_info *in = &d->inst[i];
        if (!(in->vcpus > 0 && in->memory_gib > 0))
            return 0;
        double r = in->memory_gib / in->vcpus;
        if (isnan(first))
            first = r;
        else if (fabs(r - first) > 1e-9 * first)
            return 1;
    }
    return 0;
}
static int encode_instance_dim(search_dim *d)
{
    size_t n = d->n_labels;
    const char *fam[MAX_FAMILY_COLUMNS];
    size_t nf = families(d, fam, MAX_FAMILY_COLUMNS);
    /* The family's one-hot columns only when memory per vCPU (which is what tells c, m and
     * r apart) is unknown: redundant columns cost the model data (measured on the
     * CherryPick tables: 20% more evaluations with them). */
    if (nf > MAX_FAMILY_COLUMNS || nf < 2 || memory_per_vcpu_known(d))
        nf = 0;
    size_t w = INST_NUM_FEATURES + nf;
    double *t = calloc(n * w, sizeof *t);
    double *col = calloc(n, sizeof *col), *scratch = calloc(n, sizeof *scratch);
    int *keep = calloc(w, sizeof *keep);
    if (!t || !col || !scratch || !keep)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        instance_raw(&d->inst[i], &t[i * w]);
        for (size_t j = 0; j < nf; j++)
            t[i * w + INST_NUM_FEATURES + j] =
                strcmp(d->inst[i].family ? d->inst[i].family : "", fam[j]) == 0;
    }
    for (size_t c = 0; c < w; c++) {
        for (size_t i = 0; i < n; i++)
            col[i] = t[i * w + c];
        impute_median(col, n, scratch);
        for (size_t i = 0; i < n; i++)
            t[i * w + c] = col[i];
        keep[c] = scale_column(t, n, w, c);
    }
    d->enc_width = compact_columns(t, n, w, keep);
    if (d->enc_width == 0) {
        /* Every feature equal (or unknown): tell the types apart by their index. */
        free(t);
        t = calloc(n, sizeof *t);
        if (!t)
            goto fail;
        for (size_t i = 0; i < n; i++)
            t[i] = n > 1 ? (double)i / (double)(n - 1) : 0;
        d->enc_width = 1;
    }
    d->enc_table = t;
    free(col);
    free(scratch);
    free(keep);
    return 0;
fail:
    free(t);
    free(col);
    free(scratch);
    free(keep);
    return -1;
}

static int encode_option_dim(search_dim *d)
{
    size_t n = d->n_labels;
    if (d->kind == SDIM_INSTANCE)
        return encode_instance_dim(d);
    if (d->kind == SDIM_ORDINAL || n <= 2) {
        /* Rank in [0, 1]; two categories need one column, not two. */
        d->enc_width = 1;
        d->enc_table = calloc(n, sizeof *d->enc_table);
        if (!d->enc_table)
            return -1;
        for (size_t i = 0; i < n; i++)
            d->enc_table[i] = n > 1 ? (double)i / (double)(n - 1) : 0;
        return 0;
    }
    d->enc_width = n;
    d->enc_table = calloc(n * n, sizeof *d->enc_table);
    if (!d->enc_table)
        return -1;
    for (size_t i = 0; i < n; i++)
        d->enc_table[i * n + i] = 1;
    return 0;
}

/* The option of an option dimension that the coordinate v stands for (rounded, clamped). */
static size_t option_index(const search_dim *d, double v)
{
    return (size_t)fmin(fmax(nearbyint(v), 0), (double)(d->n_labels - 1));
}

/* How many instance dimensions the space has; the last one's index in *dim. */
static size_t instance_dims(const search_space *sp, size_t *dim)
{
    size_t n = 0;
    for (size_t i = 0; i < sp->n_dims; i++)
        if (sp->dims[i].kind == SDIM_INSTANCE) {
            *dim = i;
            n++;
        }
    return n;
}

int search_space_set_nodes(search_space *sp, const char *name, char *err, size_t errlen)
{
    int d = search_space_find(sp, name);
    if (sp->finalized) {
        snprintf(err, errlen, "search space: node count %s set after finalize", name);
        return -1;
    }
    if (d < 0 || sp->dims[d].kind != SDIM_INT || sp->dims[d].lo < 1) {
        snprintf(err, errlen, "search space: the node count %s must be an integer dimension "
                 "of at least 1", name);
        return -1;
    }
    sp->nodes_dim_set = 1;
    sp->nodes_dim = (size_t)d;
    return 0;
}

/* vCPUs and memory of every type are known and positive. */
static int instance_sizes_known(const search_dim *d)
{
    for (size_t i = 0; i < d->n_labels; i++)
        if (!(d->inst[i].vcpus > 0 && d->inst[i].memory_gib > 0))
            return 0;
    return 1;
}

/* A cluster's raw totals: log(vCPUs × nodes), log(memory × nodes). */
static void cluster_raw(const search_instance_info *in, double nodes, double *f)
{
    f[0] = log(in->vcpus * nodes);
    f[1] = log(in->memory_gib * nodes);
}

/* Sets up the cluster's totals when the space has a node count and one instance dimension
 * whose types' sizes are all known. The memory total is left out when every type has the
 * same memory per vCPU: it would only repeat the vCPU total. */
static void plan_cluster(search_space *sp)
{
    search_cluster *c = &sp->cluster;
    memset(c, 0, sizeof *c);
    if (!sp->nodes_dim_set || sp->dims[sp->nodes_dim].hi <= sp->dims[sp->nodes_dim].lo)
        return;
    if (instance_dims(sp, &c->type_dim) != 1 || !instance_sizes_known(&sp->dims[c->type_dim]))
        return;
    const search_dim *t = &sp->dims[c->type_dim], *nd = &sp->dims[sp->nodes_dim];
    double ratio0 = log(t->inst[0].memory_gib / t->inst[0].vcpus);
    int same_ratio = 1;
    for (size_t i = 0; i < t->n_labels; i++) {
        double a[2], b[2];
        cluster_raw(&t->inst[i], nd->lo, a);
        cluster_raw(&t->inst[i], nd->hi, b);
        for (int k = 0; k < 2; k++) {
            c->lo[k] = i ? fmin(c->lo[k], a[k]) : a[k];
            c->hi[k] = i ? fmax(c->hi[k], b[k]) : b[k];
        }
        same_ratio &= fabs(a[1] - a[0] - ratio0) < 1e-9;
    }
    c->on = 1;
    c->enc_width = same_ratio ? 1 : 2;
}

int search_space_finalize(search_space *sp, char *err, size_t errlen)
{
    if (sp->finalized)
        return 0;
    if (sp->n_dims == 0) {
        snprintf(err, errlen, "search space: no dimensions");
        return -1;
    }
    size_t off = 0;
    plan_cluster(sp);
    for (size_t i = 0; i < sp->n_dims; i++) {
        search_dim *d = &sp->dims[i];
        if (d->kind == SDIM_INT || d->kind == SDIM_FLOAT) {
            d->enc_width = 1;
        } else if (encode_option_dim(d) != 0) {
            snprintf(err, errlen, "search space: out of memory");
            return -1;
        }
        d->enc_offset = off;
        off += d->enc_width;
    }
    sp->cluster.enc_offset = off;
    off += sp->cluster.on ? sp->cluster.enc_width : 0;
    sp->enc_dims = off;
    sp->finalized = 1;
    return 0;
}

/* ---- points ------------------------------------------------------------------------------ */

double search_space_price(const search_space *sp, const double *x)
{
    size_t t = 0, n_inst = instance_dims(sp, &t);
    if (n_inst > 1 || (n_inst == 0 && !sp->nodes_dim_set))
        return NAN;
    double price = 1;
    if (n_inst == 1) {
        const search_dim *d = &sp->dims[t];
        price = d->inst[option_index(d, x[t])].price_per_hour;
        if (!(price > 0))
            return NAN;
    }
    if (sp->nodes_dim_set)
        price *= fmax(nearbyint(x[sp->nodes_dim]), 1);
    return price;
}

int search_space_priced(const search_space *sp)
{
    size_t t = 0, n_inst = instance_dims(sp, &t);
    if (n_inst == 0)
        return sp->nodes_dim_set;
    if (n_inst > 1)
        return 0;
    for (size_t k = 0; k < sp->dims[t].n_labels; k++)
        if (!(sp->dims[t].inst[k].price_per_hour > 0))
            return 0;
    return 1;
}

static int is_discrete(const search_dim *d)
{
    return d->kind != SDIM_FLOAT;
}

void search_space_canonical(const search_space *sp, double *x)
{
    for (size_t i = 0; i < sp->n_dims; i++) {
        const search_dim *d = &sp->dims[i];
        double v = isnan(x[i]) ? d->lo : x[i];
        if (is_discrete(d))
            v = nearbyint(v);
        x[i] = fmin(fmax(v, d->lo), d->hi);
    }
}

int search_space_equal(const search_space *sp, const double *a, const double *b)
{
    for (size_t i = 0; i < sp->n_dims; i++) {
        const search_dim *d = &sp->dims[i];
        if (is_discrete(d)) {
            if (nearbyint(a[i]) != nearbyint(b[i]))
                return 0;
        } else {
            double scale = fmax(fabs(d->hi - d->lo), 1e-300);
            if (fabs(a[i] - b[i]) > 1e-9 * scale)
                return 0;
        }
    }
    return 1;
}

double search_space_to_unit(const search_space *sp, size_t di, double v)
{
    const search_dim *d = &sp->dims[di];
    if (d->hi <= d->lo)
        return 0;
    if (d->log_scale)
        return (log(v) - log(d->lo)) / (log(d->hi) - log(d->lo));
    return (v - d->lo) / (d->hi - d->lo);
}

/* The cluster's totals of x, each scaled to [0, 1] over the space. */
static void encode_cluster(const search_space *sp, const double *x, double *enc)
{
    const search_cluster *c = &sp->cluster;
    if (!c->on)
        return;
    const search_dim *t = &sp->dims[c->type_dim];
    double f[2];
    cluster_raw(&t->inst[option_index(t, x[c->type_dim])], fmax(x[sp->nodes_dim], 1), f);
    for (size_t j = 0; j < c->enc_width; j++) {
        double span = c->hi[j] - c->lo[j];
        enc[c->enc_offset + j] = span > 0 ? (f[j] - c->lo[j]) / span : 0;
    }
}

void search_space_encode(const search_space *sp, const double *x, double *enc)
{
    for (size_t i = 0; i < sp->n_dims; i++) {
        const search_dim *d = &sp->dims[i];
        double *e = enc + d->enc_offset;
        if (d->kind == SDIM_INT || d->kind == SDIM_FLOAT) {
            e[0] = search_space_to_unit(sp, i, x[i]);
            continue;
        }
        memcpy(e, d->enc_table + option_index(d, x[i]) * d->enc_width,
               d->enc_width * sizeof *e);
    }
    encode_cluster(sp, x, enc);
}

/* The stretched log range of an integer log-scale dimension: every integer gets the share
 * between log(v - 0.5) and log(v + 0.5). */
static void int_log_range(const search_dim *d, double *a, double *b)
{
    *a = log(d->lo - 0.5 > 0 ? d->lo - 0.5 : d->lo * 0.5);
    *b = log(d->hi + 0.5);
}

void search_space_from_unit(const search_space *sp, const double *u, double *x)
{
    for (size_t i = 0; i < sp->n_dims; i++) {
        const search_dim *d = &sp->dims[i];
        double t = fmin(fmax(u[i], 0), 1);
        if (d->kind == SDIM_FLOAT) {
            x[i] = d->log_scale ? exp(log(d->lo) + t * (log(d->hi) - log(d->lo)))
                                : d->lo + t * (d->hi - d->lo);
        } else if (d->kind == SDIM_INT) {
            /* Equal shares for every integer: stretch the range by one half on each side
             * before rounding (log scale: the same on log(v ± 0.5)). */
            if (d->log_scale) {
                double a, b;
                int_log_range(d, &a, &b);
                x[i] = nearbyint(exp(a + t * (b - a)));
            } else {
                x[i] = floor(d->lo + t * (d->hi - d->lo + 1));
            }
        } else {
            x[i] = floor(t * (double)d->n_labels);
        }
    }
    search_space_canonical(sp, x);
}

void search_space_unit_of(const search_space *sp, const double *x, double *u)
{
    for (size_t i = 0; i < sp->n_dims; i++) {
        const search_dim *d = &sp->dims[i];
        double v = x[i];
        if (d->kind == SDIM_FLOAT) {
            u[i] = search_space_to_unit(sp, i, v);
        } else if (d->kind == SDIM_INT) {
            if (d->log_scale) {
                /* The middle of v's share on the log scale. */
                double a, b;
                int_log_range(d, &a, &b);
                double lo = fmax(log(fmax(v - 0.5, 1e-300)), a), hi = fmin(log(v + 0.5), b);
                u[i] = b > a ? (0.5 * (lo + hi) - a) / (b - a) : 0.5;
            } else {
                u[i] = (v - d->lo + 0.5) / (d->hi - d->lo + 1);
            }
        } else {
            u[i] = (v + 0.5) / (double)d->n_labels;
        }
        u[i] = fmin(fmax(u[i], 0), 1);
    }
}

double search_dim_cardinality(const search_dim *d)
{
    if (d->kind == SDIM_FLOAT)
        return d->hi > d->lo ? 0 : 1;
    if (d->kind == SDIM_INT)
        return d->hi - d->lo + 1;
    return (double)d->n_labels;
}

double search_space_size(const search_space *sp)
{
    double n = 1;
    for (size_t i = 0; i < sp->n_dims; i++) {
        double c = search_dim_cardinality(&sp->dims[i]);
        if (c == 0)
            return 0;
        n *= c;
        if (n > 9007199254740992.0)
            return 0;
    }
    return n;
}

void search_space_point_at(const search_space *sp, double idx, double *x)
{
    for (size_t i = sp->n_dims; i-- > 0;) {
        const search_dim *d = &sp->dims[i];
        double c = search_dim_cardinality(d);
        double r = c > 0 ? fmod(idx, c) : 0;
        idx = c > 0 ? floor(idx / c) : idx;
        x[i] = d->kind == SDIM_INT ? d->lo + r : d->kind == SDIM_FLOAT ? d->lo : r;
    }
}

void search_space_format_value(const search_space *sp, size_t di, double v, char *buf,
                               size_t len)
{
    const search_dim *d = &sp->dims[di];
    switch (d->kind) {
    case SDIM_INT:
        snprintf(buf, len, "%.0f", nearbyint(v));
        break;
    case SDIM_FLOAT:
        snprintf(buf, len, "%.6g", v);
        break;
    default:
        snprintf(buf, len, "%s", d->labels[option_index(d, v)]);
    }
}

int search_space_parse_value(const search_space *sp, size_t di, const char *text, double *v)
{
    const search_dim *d = &sp->dims[di];
    if (d->kind == SDIM_INT || d->kind == SDIM_FLOAT) {
        char *end;
        errno = 0;
        double x = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(x))
            return -1;
        if (d->kind == SDIM_INT && x != floor(x))
            return -1;
        *v = x;
        return 0;
    }
    for (size_t i = 0; i < d->n_labels; i++)
        if (strcmp(d->labels[i], text) == 0) {
            *v = (double)i;
            return 0;
        }
    return -1;
}

int search_space_find(const search_space *sp, const char *name)
{
    for (size_t i = 0; i < sp->n_dims; i++)
        if (strcmp(sp->dims[i].name, name) == 0)
            return (int)i;
    return -1;
}

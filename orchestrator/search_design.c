#include "orchestrator/search_design.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/search_rng.h"

/* Joe and Kuo's new-joe-kuo-6.21201 direction numbers for dimensions 2..32: degree s,
 * polynomial coefficient a, initial m_1..m_s (dimension 1 is van der Corput). */
static const struct {
    unsigned s, a;
    unsigned m[8];
} joe_kuo[SEARCH_SOBOL_MAX_DIMS - 1] = {
    { 1, 0, { 1 } },
    { 2, 1, { 1, 3 } },
    { 3, 1, { 1, 3, 1 } },
    { 3, 2, { 1, 1, 1 } },
    { 4, 1, { 1, 1, 3, 3 } },
    { 4, 4, { 1, 3, 5, 13 } },
    { 5, 2, { 1, 1, 5, 5, 17 } },
    { 5, 4, { 1, 1, 5, 5, 5 } },
    { 5, 7, { 1, 1, 7, 11, 19 } },
    { 5, 11, { 1, 1, 5, 1, 1 } },
    { 5, 13, { 1, 1, 1, 3, 11 } },
    { 5, 14, { 1, 3, 5, 5, 31 } },
    { 6, 1, { 1, 3, 3, 9, 7, 49 } },
    { 6, 13, { 1, 1, 1, 15, 21, 21 } },
    { 6, 16, { 1, 3, 1, 13, 27, 49 } },
    { 6, 19, { 1, 1, 1, 15, 7, 5 } },
    { 6, 22, { 1, 3, 1, 15, 13, 25 } },
    { 6, 25, { 1, 1, 5, 5, 19, 61 } },
    { 7, 1, { 1, 3, 7, 11, 23, 15, 103 } },
    { 7, 4, { 1, 3, 7, 13, 13, 15, 69 } },
    { 7, 7, { 1, 1, 3, 13, 7, 35, 63 } },
    { 7, 8, { 1, 3, 5, 9, 1, 25, 53 } },
    { 7, 14, { 1, 3, 1, 13, 9, 35, 107 } },
    { 7, 19, { 1, 3, 1, 5, 27, 61, 31 } },
    { 7, 21, { 1, 1, 5, 11, 19, 41, 61 } },
    { 7, 28, { 1, 3, 5, 3, 3, 13, 69 } },
    { 7, 31, { 1, 1, 7, 13, 1, 19, 1 } },
    { 7, 32, { 1, 3, 7, 5, 13, 19, 59 } },
    { 7, 37, { 1, 1, 3, 9, 25, 29, 41 } },
    { 7, 41, { 1, 3, 5, 13, 23, 1, 55 } },
    { 7, 42, { 1, 3, 7, 3, 13, 59, 17 } },
};

#define SOBOL_BITS 32

/* Direction numbers v[k] (scaled by 2^32) of dimension d (0-based). */
static void sobol_directions(size_t d, uint32_t v[SOBOL_BITS])
{
    if (d == 0) {
        for (unsigned k = 0; k < SOBOL_BITS; k++)
            v[k] = 1u << (SOBOL_BITS - 1 - k);
        return;
    }
    unsigned s = joe_kuo[d - 1].s, a = joe_kuo[d - 1].a;
    for (unsigned k = 0; k < s && k < SOBOL_BITS; k++)
        v[k] = joe_kuo[d - 1].m[k] << (SOBOL_BITS - 1 - k);
    for (unsigned k = s; k < SOBOL_BITS; k++) {
        uint32_t x = v[k - s] ^ (v[k - s] >> s);
        for (unsigned j = 1; j < s; j++)
            if ((a >> (s - 1 - j)) & 1)
                x ^= v[k - j];
        v[k] = x;
    }
}

int search_sobol_point(size_t dims, uint64_t index, const uint32_t *shift, double *u)
{
    if (dims > SEARCH_SOBOL_MAX_DIMS)
        return -1;
    uint64_t gray = index ^ (index >> 1);
    for (size_t d = 0; d < dims; d++) {
        uint32_t v[SOBOL_BITS], x = 0;
        sobol_directions(d, v);
        for (unsigned k = 0; k < SOBOL_BITS && (gray >> k); k++)
            if ((gray >> k) & 1)
                x ^= v[k];
        if (shift)
            x ^= shift[d];
        u[d] = (double)x / 4294967296.0;
    }
    return 0;
}

static int design_sobol(size_t dims, size_t n, uint64_t seed, double *u)
{
    uint32_t shift[SEARCH_SOBOL_MAX_DIMS];
    search_rng r;
    search_rng_seed(&r, seed, 0x50b01);
    for (size_t d = 0; d < dims; d++)
        shift[d] = (uint32_t)(search_rng_next(&r) >> 32);
    /* Seed 0 is the plain sequence without its origin; any other seed is shifted. */
    for (size_t i = 0; i < n; i++)
        search_sobol_point(dims, i + 1, seed ? shift : NULL, u + i * dims);
    return 0;
}

static int design_lhs(size_t dims, size_t n, uint64_t seed, double *u)
{
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return -1;
    search_rng r;
    search_rng_seed(&r, seed, 0x1a5);
    for (size_t d = 0; d < dims; d++) {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)search_rng_below(&r, i);
            size_t t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        for (size_t i = 0; i < n; i++)
            u[i * dims + d] = ((double)perm[i] + search_rng_uniform(&r)) / (double)n;
    }
    free(perm);
    return 0;
}

int search_design_unit(search_design_kind kind, size_t dims, size_t n, uint64_t seed,
                       double *u)
{
    if (kind == SEARCH_DESIGN_SOBOL && dims <= SEARCH_SOBOL_MAX_DIMS)
        return design_sobol(dims, n, seed, u);
    if (kind == SEARCH_DESIGN_RANDOM) {
        search_rng r;
        search_rng_seed(&r, seed, 0x7a4d);
        for (size_t i = 0; i < n * dims; i++)
            u[i] = search_rng_uniform(&r);
        return 0;
    }
    return design_lhs(dims, n, seed, u);
}

int search_design_parse(const char *name, search_design_kind *out)
{
    if (strcmp(name, "sobol") == 0)
        *out = SEARCH_DESIGN_SOBOL;
    else if (strcmp(name, "lhs") == 0 || strcmp(name, "latin") == 0)
        *out = SEARCH_DESIGN_LHS;
    else if (strcmp(name, "random") == 0)
        *out = SEARCH_DESIGN_RANDOM;
    else
        return -1;
    return 0;
}

/* ---- grid ------------------------------------------------------------------------------ */

void search_grid_free(search_grid *g)
{
    for (size_t d = 0; d < g->n_dims; d++)
        free(g->values ? g->values[d] : NULL);
    free(g->values);
    free(g->n_values);
    memset(g, 0, sizeof *g);
}

int search_grid_set_values(search_grid *g, size_t d, const double *v, size_t n)
{
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return -1;
    memcpy(copy, v, n * sizeof *copy);
    free(g->values[d]);
    g->values[d] = copy;
    g->n_values[d] = n;
    return 0;
}

/* count values evenly spaced on the dimension's scale, ends included; integers are rounded
 * and repeated values dropped. Returns how many were written. */
static size_t spaced_values(const search_dim *dim, size_t count, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        double t = count > 1 ? (double)i / (double)(count - 1) : 0.5;
        double v = dim->log_scale ? exp(log(dim->lo) + t * (log(dim->hi) - log(dim->lo)))
                                  : dim->lo + t * (dim->hi - dim->lo);
        if (dim->kind == SDIM_INT)
            v = fmin(fmax(nearbyint(v), dim->lo), dim->hi);
        if (k == 0 || v != out[k - 1])
            out[k++] = v;
    }
    return k;
}

static size_t default_count(const search_dim *dim)
{
    if (dim->kind == SDIM_INT && dim->hi - dim->lo + 1 <= 16)
        return (size_t)(dim->hi - dim->lo + 1);
    return 5;
}

int search_grid_build(search_grid *g, const search_space *sp, const size_t *counts,
                      char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->values = calloc(sp->n_dims, sizeof *g->values);
    g->n_values = calloc(sp->n_dims, sizeof *g->n_values);
    if (!g->values || !g->n_values)
        goto oom;
    g->n_dims = sp->n_dims;
    for (size_t d = 0; d < sp->n_dims; d++) {
        const search_dim *dim = &sp->dims[d];
        size_t n;
        if (dim->kind == SDIM_INT || dim->kind == SDIM_FLOAT)
            n = counts && counts[d] ? counts[d] : default_count(dim);
        else
            n = dim->n_labels;
        g->values[d] = malloc(n * sizeof *g->values[d]);
        if (!g->values[d])
            goto oom;
        if (dim->kind == SDIM_INT || dim->kind == SDIM_FLOAT) {
            g->n_values[d] = spaced_values(dim, n, g->values[d]);
        } else {
            for (size_t i = 0; i < n; i++)
                g->values[d][i] = (double)i;
            g->n_values[d] = n;
        }
    }
    return 0;
oom:
    search_grid_free(g);
    snprintf(err, errlen, "search grid: out of memory");
    return -1;
}

double search_grid_size(const search_grid *g)
{
    double n = 1;
    for (size_t d = 0; d < g->n_dims; d++)
        n *= (double)g->n_values[d];
    return n;
}

void search_grid_point(const search_grid *g, double idx, double *x)
{
    for (size_t d = g->n_dims; d-- > 0;) {
        double c = (double)g->n_values[d];
        double r = fmod(idx, c);
        idx = floor(idx / c);
        x[d] = g->values[d][(size_t)r];
    }
}

/* Designs: where a search looks before (or instead of) a model. A full-factorial grid with
 * per-dimension values or counts, seeded random points, a Sobol sequence (Joe and Kuo's
 * direction numbers, up to SEARCH_SOBOL_MAX_DIMS dimensions, optionally digitally shifted by
 * a seed) and Latin hypercube samples. Designs in the unit cube are mapped to points with
 * search_space_from_unit().
 *
 * Ownership: search_grid_build() allocates inside a caller-owned grid; search_grid_free()
 * releases it. */
#ifndef ORCHESTRATOR_SEARCH_DESIGN_H
#define ORCHESTRATOR_SEARCH_DESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "orchestrator/search_space.h"

#define SEARCH_SOBOL_MAX_DIMS 32

typedef enum search_design_kind {
    SEARCH_DESIGN_SOBOL = 0,
    SEARCH_DESIGN_LHS,
    SEARCH_DESIGN_RANDOM
} search_design_kind;

/* The index-th point of the unscrambled Sobol sequence (Gray-code order, point 0 is the
 * origin) in dims <= SEARCH_SOBOL_MAX_DIMS dimensions, XORed with shift[d] (32-bit digital
 * shifts, or NULL for none). 0, or -1 when dims is too large. */
int search_sobol_point(size_t dims, uint64_t index, const uint32_t *shift, double *u);

/* n points of a design in [0, 1)^dims, row-major in u (n × dims). Sobol falls back to a
 * Latin hypercube beyond SEARCH_SOBOL_MAX_DIMS dimensions; with a seed the Sobol points are
 * digitally shifted and start at index 1, so different seeds give different designs with
 * the same balance. 0, or -1 on no memory. */
int search_design_unit(search_design_kind kind, size_t dims, size_t n, uint64_t seed,
                       double *u);
/* "sobol", "lhs", "random"; 0 or -1. */
int search_design_parse(const char *name, search_design_kind *out);

/* A full factorial: every combination of per-dimension value lists. */
typedef struct search_grid {
    size_t n_dims;
    double **values;     /* native values per dimension */
    size_t *n_values;
} search_grid;

/* Builds the default value list of every dimension: all options of option dimensions,
 * counts[d] evenly spaced values (on the dimension's scale; integers rounded and
 * deduplicated) of int/float dimensions. counts may be NULL; a count of 0 means every
 * integer when there are at most 16, else 5 values. */
int search_grid_build(search_grid *g, const search_space *sp, const size_t *counts,
                      char *err, size_t errlen);
/* Replaces the values of dimension d by a copy of v[0..n). */
int search_grid_set_values(search_grid *g, size_t d, const double *v, size_t n);
/* The number of points: the product of the list lengths (as a double: it may be huge). */
double search_grid_size(const search_grid *g);
/* The idx-th combination, last dimension fastest. */
void search_grid_point(const search_grid *g, double idx, double *x);
void search_grid_free(search_grid *g);

#endif

/* A small seeded random number generator (xoshiro256** seeded through splitmix64) for the
 * search: every random choice of a search flows from one of these, created from the
 * search's seed and what it has seen, so the same seed and the same observations give the
 * same proposals (also after a restart). */
#ifndef ORCHESTRATOR_SEARCH_RNG_H
#define ORCHESTRATOR_SEARCH_RNG_H

#include <stdint.h>

typedef struct search_rng {
    uint64_t s[4];
} search_rng;

/* Seeds from a base seed and a stream number (e.g. the number of observations). */
void     search_rng_seed(search_rng *r, uint64_t seed, uint64_t stream);
uint64_t search_rng_next(search_rng *r);
double   search_rng_uniform(search_rng *r);          /* [0, 1) */
double   search_rng_normal(search_rng *r);           /* standard normal */
uint64_t search_rng_below(search_rng *r, uint64_t n); /* [0, n), n > 0 */

#endif

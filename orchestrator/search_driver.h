/* The bridge between the run loop's proposer hook (run_loop.h) and the search (search.h):
 * the config's parameters (and, when asked, the instance type and the node count) become a
 * search space; each round the collected jobs are pooled per configuration (mean objective
 * over replicates, its standard error as noise, failed when no replicate succeeded, the
 * dollars spent) and the search proposes up to q new points. The search's warm-start state
 * is kept in the journal, so a resumed run proposes what the uninterrupted one would have. */
#ifndef ORCHESTRATOR_SEARCH_DRIVER_H
#define ORCHESTRATOR_SEARCH_DRIVER_H

#include <stddef.h>

#include "orchestrator/config.h"
#include "orchestrator/journal.h"
#include "orchestrator/run_loop.h"

/* A proposer for cfg's search section (borrowed config and journal: they outlive it).
 * NULL with err on a config the search cannot take. Freed by its destroy op. */
run_proposer *search_driver_new(const config *cfg, journal *jn, long long exp_id, char *err,
                                size_t errlen);

/* The objective of one collected job for cfg->search.metric: runtime, cost, custom_metric,
 * custom_metric:NAME, or any numeric summary.json key. NAN when not available. */
double search_driver_objective(const char *metric, const run_observation *o);

#endif

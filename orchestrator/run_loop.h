/* The run loop of `orchestrate run`: plan (or ask the search for) points, submit jobs up to
 * the concurrency bound, poll, collect finished jobs into OUTPUT/runs/..., record every change
 * in the journal, repeat until nothing is left. SIGINT/SIGTERM set *stop: the loop finishes
 * the journal write in progress and returns; jobs keep running and the next `run` re-attaches.
 *
 * Search hook: with a search section in the config, the loop calls proposer->propose once per
 * round with every collected job and every pending point, plans the returned points ×
 * replicates (× instance types unless the proposal names one), waits for them, and repeats
 * until propose returns no point. The search engineer's adapter (search.h) fills the struct. */
#ifndef ORCHESTRATOR_RUN_LOOP_H
#define ORCHESTRATOR_RUN_LOOP_H

#include <signal.h>
#include <stddef.h>

#include "orchestrator/backend.h"
#include "orchestrator/config.h"
#include "orchestrator/journal.h"
#include "orchestrator/plan.h"

/* One collected job as the proposer sees it. NAN = not available. */
typedef struct run_observation {
    const char *instance_type;
    const char *point_tag;
    char *const *values;         /* cfg->n_params strings, config order */
    int nodes, gpus;
    int replicate, round;
    int failed;                  /* failed, cancelled, or a non-zero exit */
    double runtime_seconds;
    double cost_usd;             /* NAN when no price is known */
    double custom_metric;
    const char *summary_json;    /* the whole summary.json (other metrics), or NULL */
} run_observation;

/* A point planned or running but not yet collected. */
typedef struct run_pending {
    const char *instance_type;
    const char *point_tag;
    char *const *values;
    int nodes, gpus;
} run_pending;

/* A proposal: values for every parameter (strings as for the command line), nodes/gpus, and
 * optionally the instance type (NULL: every planned instance type). */
typedef struct run_proposal {
    char **values;               /* cfg->n_params strings then a NULL, owned by the proposal */
    int nodes, gpus;
    char *instance_type;         /* or NULL */
} run_proposal;

void run_proposals_free(run_proposal *p, size_t n);

typedef struct run_proposer {
    void *self;
    /* Up to q proposals for round `round` into *out (*n of them, allocated by the proposer,
     * freed by the loop with run_proposals_free). *n == 0: the search is done. 0 or -1. */
    int (*propose)(struct run_proposer *p, int round, const run_observation *obs, size_t n_obs,
                   const run_pending *pending, size_t n_pending, size_t q,
                   run_proposal **out, size_t *n, char *err, size_t errlen);
    void (*destroy)(struct run_proposer *p);
} run_proposer;

typedef struct run_options {
    const config *cfg;
    const char *output_dir;       /* results.csv, runs/, state.db live here */
    journal *jn;
    long long experiment_id;
    backend *be;
    run_proposer *proposer;       /* NULL: the plain plan */
    volatile sig_atomic_t *stop;  /* set by SIGINT/SIGTERM handlers; may be NULL */
    double poll_interval;         /* seconds between polls; 0: 0.2 local, 10 batch */
    int progress_tty;             /* 1: a live status line; 0: plain log lines */
} run_options;

/* 0 when every job reached a final state (failed jobs included), 1 when stopped by *stop,
 * -1 on an error (err). */
int run_loop(const run_options *o, char *err, size_t errlen);

/* `orchestrate kill`: cancels every active job of the experiment (planned ones are marked
 * cancelled without running), waits up to wait_seconds for running ones to stop, and
 * collects whatever they left (state cancelled). 0 or -1. */
int run_cancel_all(const run_options *o, double wait_seconds, char *err, size_t errlen);

/* `orchestrate report`: collects again every final job that has no collected result (a
 * killed job's late summary, a transient S3 error). 0 or -1. */
int run_recollect(const run_options *o, char *err, size_t errlen);

/* Plans the config's plain plan (or, for a search, nothing: rounds are planned by the loop)
 * into the journal: instance types × points × replicates, round 0. Idempotent. */
int run_plan_initial(const run_options *o, char *err, size_t errlen);

#endif

/* Internals shared by the run loop's files (run_loop.c: recover, poll, collect, submit, the
 * loop; run_plan.c: planning into the journal; run_search.c: search rounds; run_cancel.c:
 * kill and re-collect). Not for other modules: they use run_loop.h. */
#ifndef ORCHESTRATOR_RUN_INTERNAL_H
#define ORCHESTRATOR_RUN_INTERNAL_H

#include <stddef.h>

#include "orchestrator/collect.h"
#include "orchestrator/prices.h"
#include "orchestrator/run_loop.h"

typedef struct strike {
    long long job_id;
    int count;
    int timed_out;
} strike;

typedef struct loop {
    const run_options *o;
    collector *col;
    price_book *pb;
    strike *strikes;
    size_t n_strikes, cap_strikes;
    double t0;
    size_t last_counts[JOB_CANCELLED + 1];
    int progress_shown;
    int search_done;
} loop;

/* The loop's record of a job's collection attempts and timeout (created on first use). */
strike *run_strike_for(loop *L, long long job_id);

/* Adds one point x the given types x replicates to the journal (inside a transaction);
 * *added counts the jobs that were new. 0 or -1. */
int run_plan_point_jobs(const run_options *o, const plan_point *p, char *const *types,
                        size_t n_types, int round, size_t *added, char *err, size_t errlen);

/* A backend job from a journal row (argv from the point's values); free with
 * job_free_fields() or run_jobs_free(). 0 or -1. */
int  run_job_from_row(const run_options *o, const journal_job *jj, job *j, char *err,
                      size_t errlen);
void run_jobs_free(job *v, size_t n);

/* Asks the backend about jobs whose submission was in flight when the last run died. */
int run_recover_pending(loop *L, journal_job *jobs, size_t n, char *err, size_t errlen);

/* Records a finished job from its fetched results (ci), or leaves it for another attempt. */
int run_finish_job(loop *L, const job *j, const journal_job *jj, backend_status *st,
                   collect_item *ci, char *err, size_t errlen);

/* With a search: plans the next round once nothing is active (rows: every job). */
int run_search_maybe_propose(loop *L, journal_job *rows, size_t n, size_t n_active, char *err,
                             size_t errlen);

#endif

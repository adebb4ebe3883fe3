/* The run loop's search rounds: observations from the journal to the proposer, its
 * proposals planned as the next round. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "orchestrator/collect.h"
#include "orchestrator/costs.h"
#include "orchestrator/run_internal.h"

void run_proposals_free(run_proposal *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        plan_argv_free(p[i].values);   /* NULL-terminated, like an argv */
        free(p[i].instance_type);
    }
    free(p);
}

/* ---- search rounds -------------------------------------------------------------------------- */

typedef struct obs_set {
    run_observation *obs;
    run_pending *pending;
    plan_point *points;      /* owns the value arrays both point into */
    journal_result *results;
    size_t n_obs, n_pending, n_points;
} obs_set;

static void obs_set_free(obs_set *s, size_t n_rows)
{
    for (size_t i = 0; s->results && i < n_rows; i++)
        journal_result_free(&s->results[i]);
    plan_points_free(s->points, s->n_points);
    free(s->obs);
    free(s->pending);
    free(s->results);
}

static int build_observations(loop *L, journal_job *rows, size_t n, obs_set *s, char *err,
                              size_t errlen)
{
    const run_options *o = L->o;
    memset(s, 0, sizeof *s);
    s->obs = calloc(n ? n : 1, sizeof *s->obs);
    s->pending = calloc(n ? n : 1, sizeof *s->pending);
    s->points = calloc(n ? n : 1, sizeof *s->points);
    s->results = calloc(n ? n : 1, sizeof *s->results);
    if (!s->obs || !s->pending || !s->points || !s->results) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        journal_job *jj = &rows[i];
        plan_point *p = &s->points[s->n_points++];
        journal_result_init(&s->results[i]);
        if (plan_point_from_params_json(o->cfg, jj->params_json, p) != 0) {
            snprintf(err, errlen, "job %lld: unreadable point", jj->id);
            return -1;
        }
        if (!job_state_is_final(jj->state)) {
            s->pending[s->n_pending++] = (run_pending){
                .instance_type = jj->instance_type, .point_tag = jj->point_tag,
                .values = p->values, .nodes = jj->nodes, .gpus = jj->gpus};
            continue;
        }
        journal_result *r = &s->results[i];
        if (journal_job_result(o->jn, jj->id, r, err, errlen) < 0)
            return -1;
        job_cost jc;
        costs_for_job(L->pb, jj->instance_type, r->wall_seconds, jj->nodes, jj->created_at,
                      jj->started_at, &jc);
        s->obs[s->n_obs++] = (run_observation){
            .instance_type = jj->instance_type, .point_tag = jj->point_tag,
            .values = p->values, .nodes = jj->nodes, .gpus = jj->gpus,
            .replicate = jj->replicate, .round = jj->round,
            .failed = jj->state != JOB_SUCCEEDED, .runtime_seconds = r->wall_seconds,
            .cost_usd = jc.cost_usd, .custom_metric = r->custom_metric,
            .summary_json = r->summary_json};
    }
    return 0;
}

/* Plans one round of proposals. 1 when something was planned, 0 when the search is done. */
static int plan_round(loop *L, int round, run_proposal *props, size_t n_props, char *err,
                      size_t errlen)
{
    const run_options *o = L->o;
    char **types = NULL;
    size_t n_types = 0, added = 0;
    if (plan_instance_types(o->cfg, &types, &n_types, err, errlen) != 0)
        return -1;
    int rc = journal_begin(o->jn, err, errlen);
    for (size_t i = 0; rc == 0 && i < n_props; i++) {
        plan_point p = {.values = props[i].values, .n_values = o->cfg->n_params,
                        .nodes = props[i].nodes > 0 ? props[i].nodes : o->cfg->nodes_min,
                        .gpus = props[i].gpus};
        if (plan_point_make_tag(o->cfg, &p) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        char *one[1] = {props[i].instance_type};
        rc = props[i].instance_type
                 ? run_plan_point_jobs(o, &p, one, 1, round, &added, err, errlen)
                 : run_plan_point_jobs(o, &p, types, n_types, round, &added, err, errlen);
        free(p.tag);
    }
    if (rc == 0)
        rc = journal_commit(o->jn, err, errlen);
    else
        journal_rollback(o->jn);
    plan_strings_free(types, n_types);
    if (rc == 0)
        log_info("search round %d: %zu points, %zu new jobs", round, n_props, added);
    return rc == 0 ? (added > 0 ? 1 : 0) : -1;
}

/* Asks the proposer for the next round once the current one has finished. */
int run_search_maybe_propose(loop *L, journal_job *rows, size_t n, size_t n_active,
                             char *err, size_t errlen)
{
    const run_options *o = L->o;
    if (!o->proposer || L->search_done || n_active > 0)
        return 0;
    int last;
    if (journal_max_round(o->jn, o->experiment_id, &last, err, errlen) != 0)
        return -1;
    int round = last < 1 ? 1 : last + 1;
    if (round > o->cfg->search.iterations) {
        L->search_done = 1;
        return 0;
    }
    obs_set s;
    run_proposal *props = NULL;
    size_t n_props = 0;
    int rc = build_observations(L, rows, n, &s, err, errlen);
    if (rc == 0)
        rc = o->proposer->propose(o->proposer, round, s.obs, s.n_obs, s.pending, s.n_pending,
                                  (size_t)o->cfg->search.parallel_samples, &props, &n_props,
                                  err, errlen);
    if (rc == 0) {
        if (n_props == 0) {
            L->search_done = 1;
            log_info("search finished after round %d", round - 1);
        } else {
            int planned = plan_round(L, round, props, n_props, err, errlen);
            rc = planned < 0 ? -1 : 0;
            if (planned == 0)
                L->search_done = 1;   /* proposals that add no job: nothing new to learn */
        }
    }
    run_proposals_free(props, n_props);
    obs_set_free(&s, n);
    return rc;
}

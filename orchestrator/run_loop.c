/* The run loop (see run_loop.h): recover, poll, collect, submit, propose, repeat. Each pass
 * reads the active jobs back from the journal, so what the loop acts on is always what a
 * restarted orchestrator would see. */
#include "orchestrator/run_loop.h"

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

void run_proposals_free(run_proposal *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        plan_argv_free(p[i].values);   /* NULL-terminated, like an argv */
        free(p[i].instance_type);
    }
    free(p);
}

/* ---- planning ------------------------------------------------------------------------- */

/* RESULTS/EXPERIMENT/TYPE/TAG/REP/ under the config's results_url, or OUTPUT/jobs/. */
static char *result_url(const run_options *o, const char *type, const char *tag, int rep)
{
    const config *cfg = o->cfg;
    char *base = NULL, *url = NULL;
    if (cfg->results_url)
        base = strdup(cfg->results_url);
    else
        base = path_join(o->output_dir, "jobs");
    if (!base)
        return NULL;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/' && !(n == 5 && strncmp(base, "s3://", 5) == 0))
        base[--n] = '\0';
    if (asprintf(&url, "%s/%s/%s/%s/%d/", base, cfg->experiment, type, tag, rep) < 0)
        url = NULL;
    free(base);
    return url;
}

/* Adds one point × the given types × replicates to the journal (inside a transaction). */
static int plan_point_jobs(const run_options *o, const plan_point *p, char *const *types,
                           size_t n_types, int round, size_t *added, char *err, size_t errlen)
{
    const config *cfg = o->cfg;
    char *params = plan_point_params_json(cfg, p);
    long long point_id;
    int created;
    if (!params) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = journal_point_add(o->jn, o->experiment_id, p->tag, round, params, p->nodes,
                               p->gpus, &point_id, &created, err, errlen);
    free(params);
    for (size_t t = 0; rc == 0 && t < n_types; t++) {
        for (int r = 0; rc == 0 && r < cfg->replicates; r++) {
            char *url = result_url(o, types[t], p->tag, r);
            long long job_id;
            if (!url) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            rc = journal_job_add(o->jn, o->experiment_id, point_id, types[t], r, round, url,
                                 &job_id, &created, err, errlen);
            free(url);
            if (rc == 0 && created && added)
                (*added)++;
        }
    }
    return rc;
}

int run_plan_initial(const run_options *o, char *err, size_t errlen)
{
    char **types = NULL;
    size_t n_types = 0, n_points = 0, added = 0;
    plan_point *points = NULL;
    if (o->proposer)
        return 0;   /* a search plans its rounds as it goes */
    if (plan_instance_types(o->cfg, &types, &n_types, err, errlen) != 0)
        return -1;
    if (plan_points(o->cfg, &points, &n_points, err, errlen) != 0) {
        plan_strings_free(types, n_types);
        return -1;
    }
    int rc = journal_begin(o->jn, err, errlen);
    for (size_t i = 0; rc == 0 && i < n_points; i++)
        rc = plan_point_jobs(o, &points[i], types, n_types, 0, &added, err, errlen);
    if (rc == 0)
        rc = journal_commit(o->jn, err, errlen);
    else
        journal_rollback(o->jn);
    if (rc == 0 && added)
        log_info("planned %zu jobs: %zu instance types x %zu points x %d replicates", added,
                 n_types, n_points, o->cfg->replicates);
    plan_points_free(points, n_points);
    plan_strings_free(types, n_types);
    return rc;
}

/* ---- jobs for the backend --------------------------------------------------------------- */

static void jobs_free(job *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        job_free_fields(&v[i]);
    free(v);
}

/* A backend job from a journal row: argv from the point's values. */
static int job_from_row(const run_options *o, const journal_job *jj, job *j, char *err,
                        size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->id = jj->id;
    j->replicate = jj->replicate;
    j->nodes = jj->nodes;
    j->gpus = jj->gpus;
    j->state = jj->state;
    j->exit_code = jj->exit_code;
    j->experiment = strdup(o->cfg->experiment);
    j->instance_type = strdup(jj->instance_type);
    j->point_tag = strdup(jj->point_tag);
    j->result_url = jj->result_url ? strdup(jj->result_url) : NULL;
    j->backend_id = jj->backend_id ? strdup(jj->backend_id) : NULL;
    plan_point p = {0};
    int rc = plan_point_from_params_json(o->cfg, jj->params_json, &p);
    if (rc == 0)
        rc = plan_argv(o->cfg, &p, &j->argv, err, errlen);
    else
        snprintf(err, errlen, "job %lld: its point no longer matches the config's parameters",
                 jj->id);
    plan_strings_free(p.values, p.n_values);
    if (rc == 0 && (!j->experiment || !j->instance_type || !j->point_tag)) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    return rc;
}

/* ---- the loop's own state -------------------------------------------------------------- */

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

static strike *strike_for(loop *L, long long job_id)
{
    for (size_t i = 0; i < L->n_strikes; i++)
        if (L->strikes[i].job_id == job_id)
            return &L->strikes[i];
    if (L->n_strikes == L->cap_strikes) {
        size_t cap = L->cap_strikes ? L->cap_strikes * 2 : 16;
        strike *ns = realloc(L->strikes, cap * sizeof *ns);
        if (!ns)
            return NULL;
        L->strikes = ns;
        L->cap_strikes = cap;
    }
    L->strikes[L->n_strikes] = (strike){.job_id = job_id};
    return &L->strikes[L->n_strikes++];
}

static size_t concurrency(const config *cfg)
{
    if (cfg->backend == CONFIG_BACKEND_LOCAL)
        return cfg->local.concurrency > 0 ? (size_t)cfg->local.concurrency : 1;
    return 100000;   /* Batch queues the jobs itself */
}

/* ---- recover, collect, poll -------------------------------------------------------------- */

/* Jobs whose submission was in flight when the last run died: ask the backend. */
static int recover_pending(loop *L, journal_job *jobs, size_t n, char *err, size_t errlen)
{
    const run_options *o = L->o;
    for (size_t i = 0; i < n; i++) {
        journal_job *jj = &jobs[i];
        if (!jj->submit_pending || jj->backend_id)
            continue;
        job j;
        if (job_from_row(o, jj, &j, err, errlen) != 0) {
            job_free_fields(&j);
            return -1;
        }
        int rc = o->be->ops->recover ? o->be->ops->recover(o->be, &j, err, errlen) : 0;
        if (rc == 0)
            rc = j.backend_id ? journal_job_submitted(o->jn, jj->id, j.backend_id, err, errlen)
                              : journal_job_submit_cleared(o->jn, jj->id, err, errlen);
        if (rc == 0 && j.backend_id)
            log_info("job %lld re-attached as %s after a restart", jj->id, j.backend_id);
        job_free_fields(&j);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static job_state final_state(const backend_status *st, int collected, const journal_result *r)
{
    if (st->state == JOB_CANCELLED)
        return JOB_CANCELLED;
    if (collected == 0 && r->status)
        return strcmp(r->status, "succeeded") == 0 && r->exit_code == 0 ? JOB_SUCCEEDED
                                                                        : JOB_FAILED;
    /* No summary: whatever the backend says, the results are lost. */
    return JOB_FAILED;
}

static void save_failure_log(loop *L, const job *j, const journal_job *jj)
{
    const run_options *o = L->o;
    if (!o->be->ops->fetch_log)
        return;
    char *rel = collect_run_dir(jj);
    char *dir = rel ? path_join(o->output_dir, rel) : NULL;
    char *path = dir ? path_join(dir, "batch.log") : NULL;
    char err[512];
    if (path && mkdir_p(dir) == 0 && o->be->ops->fetch_log(o->be, j, path, err, sizeof err) != 0)
        log_warn("job %lld: no log saved: %s", jj->id, err);
    free(path);
    free(dir);
    free(rel);
}

/* A job the backend reports finished, its results fetched (c, r, cerr from collect_item):
 * record it, or leave it for another collection attempt. */
static int finish_job(loop *L, const job *j, const journal_job *jj, backend_status *st,
                      collect_item *ci, char *err, size_t errlen)
{
    const run_options *o = L->o;
    journal_result *r = &ci->r;
    int c = ci->rc;
    strike *sk = strike_for(L, jj->id);
    if (c < 0) {
        if (sk && ++sk->count < 3) {
            log_warn("job %lld: collecting failed (will retry): %s", jj->id, ci->err);
            return 0;
        }
        log_error("job %lld: collecting failed: %s", jj->id, ci->err);
        snprintf(st->reason, sizeof st->reason, "results not collected: %.200s", ci->err);
    } else if (c == 1 && ci->err[0]) {
        log_warn("job %lld: %s", jj->id, ci->err);
    }
    if (sk && sk->timed_out)
        snprintf(st->reason, sizeof st->reason, "timed out after %.0f s",
                 o->cfg->job_timeout_seconds);
    if (st->started_at > 0 && st->created_at > 0)
        r->queue_seconds = st->started_at - st->created_at;
    job_state fs = final_state(st, c, r);
    if (c == 1 && !st->reason[0])
        snprintf(st->reason, sizeof st->reason, "no summary.json: the results were lost");
    if (fs != JOB_SUCCEEDED)
        save_failure_log(L, j, jj);
    int rc = journal_job_finish(o->jn, jj->id, fs, st, c >= 0 ? r : NULL, err, errlen);
    if (rc == 0 && fs != JOB_SUCCEEDED)
        log_warn("job %lld (%s %s #%d) %s%s%s", jj->id, jj->instance_type, jj->point_tag,
                 jj->replicate, job_state_name(fs), st->reason[0] ? ": " : "", st->reason);
    return rc;
}

/* Fetches the results of every finished job among jobs[0..k) in parallel, then records
 * each one (the journal is written from this thread only). */
static int finish_all(loop *L, job *jobs, journal_job **which, backend_status *st, size_t k,
                      int *finished, char *err, size_t errlen)
{
    size_t n = 0;
    collect_item *items = calloc(k ? k : 1, sizeof *items);
    size_t *idx = calloc(k ? k : 1, sizeof *idx);
    int rc = items && idx ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < k; i++)
        if (finished[i]) {
            idx[n] = i;
            items[n++].jj = which[i];
        }
    if (rc == 0 && n > 0)
        collector_fetch_all(L->col, items, n, 8);
    for (size_t m = 0; rc == 0 && m < n; m++)
        rc = finish_job(L, &jobs[idx[m]], which[idx[m]], &st[idx[m]], &items[m], err, errlen);
    for (size_t m = 0; items && m < n; m++)
        journal_result_free(&items[m].r);
    if (!items || !idx)
        snprintf(err, errlen, "out of memory");
    free(items);
    free(idx);
    return rc;
}

/* Local jobs past job_timeout are stopped; their exit shows up in a later poll. */
static void enforce_timeout(loop *L, job *j, const journal_job *jj)
{
    const run_options *o = L->o;
    double limit = o->cfg->job_timeout_seconds;
    double since = jj->started_at > 0 ? jj->started_at : jj->submitted_at;
    if (limit <= 0 || since <= 0 || wall_seconds() - since < limit)
        return;
    strike *sk = strike_for(L, jj->id);
    if (!sk || sk->timed_out)
        return;
    char err[256];
    sk->timed_out = 1;
    log_warn("job %lld ran past its timeout (%.0f s): stopping it", jj->id, limit);
    if (o->be->ops->cancel(o->be, j, err, sizeof err) != 0)
        log_warn("job %lld: %s", jj->id, err);
}

/* A job stuck before running, or running without any sign of life (backend_status's
 * progress_at), for longer than stall_timeout is terminated and queued again (up to
 * max_resubmits times), as Lorien does. 1 when it was requeued. */
static int handle_stall(loop *L, job *j, const journal_job *jj, const backend_status *st,
                        char *err, size_t errlen)
{
    const run_options *o = L->o;
    double limit = o->cfg->stall_timeout_seconds;
    double since = jj->updated_at > 0 ? jj->updated_at : jj->submitted_at;
    if (st->state == JOB_RUNNING)
        since = st->progress_at > since ? st->progress_at : st->progress_at > 0 ? since : 0;
    if (limit <= 0 || since <= 0 || wall_seconds() - since < limit ||
        jj->attempts > o->cfg->max_resubmits ||
        (st->state != JOB_SUBMITTED && st->state != JOB_RUNNING))
        return 0;
    char cerr[256];
    if (o->be->ops->cancel(o->be, j, cerr, sizeof cerr) != 0)
        log_warn("job %lld: %s", jj->id, cerr);
    log_warn("job %lld made no progress for %.0f s: resubmitting", jj->id, limit);
    return journal_job_requeue(o->jn, jj->id, "stalled", err, errlen) == 0 ? 1 : -1;
}

static int poll_jobs(loop *L, journal_job *rows, size_t n, char *err, size_t errlen)
{
    const run_options *o = L->o;
    size_t k = 0;
    job *jobs = calloc(n ? n : 1, sizeof *jobs);
    journal_job **which = calloc(n ? n : 1, sizeof *which);
    job **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    backend_status *st = calloc(n ? n : 1, sizeof *st);
    int *finished = NULL;
    int rc = -1;
    if (!jobs || !which || !ptrs || !st) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].backend_id || rows[i].state == JOB_PLANNED)
            continue;
        if (job_from_row(o, &rows[i], &jobs[k], err, errlen) != 0) {
            k++;
            goto out;
        }
        which[k] = &rows[i];
        ptrs[k] = &jobs[k];
        k++;
    }
    if (k == 0) {
        rc = 0;
        goto out;
    }
    if (o->be->ops->poll(o->be, ptrs, k, st, err, errlen) != 0)
        goto out;
    finished = calloc(k, sizeof *finished);
    if (!finished) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < k; i++)
        finished[i] = job_state_is_final(st[i].state);
    if (finish_all(L, jobs, which, st, k, finished, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < k; i++) {
        journal_job *jj = which[i];
        if (finished[i])
            continue;
        int stalled = handle_stall(L, &jobs[i], jj, &st[i], err, errlen);
        if (stalled < 0)
            goto out;
        if (stalled)
            continue;
        if (st[i].state != jj->state &&
            journal_job_progress(o->jn, jj->id, &st[i], err, errlen) != 0)
            goto out;
        if (st[i].state == JOB_RUNNING && o->cfg->backend == CONFIG_BACKEND_LOCAL)
            enforce_timeout(L, &jobs[i], jj);
    }
    rc = 0;
out:
    jobs_free(jobs, k);
    free(which);
    free(ptrs);
    free(st);
    free(finished);
    return rc;
}

/* ---- submit ---------------------------------------------------------------------------- */

static int submit_jobs(loop *L, journal_job *rows, size_t n, size_t in_flight, char *err,
                       size_t errlen)
{
    const run_options *o = L->o;
    size_t cap = concurrency(o->cfg), want = 0;
    if (in_flight >= cap)
        return 0;
    for (size_t i = 0; i < n && want < cap - in_flight; i++)
        if (rows[i].state == JOB_PLANNED && !rows[i].submit_pending)
            want++;
    if (want == 0)
        return 0;
    job *jobs = calloc(want, sizeof *jobs);
    job **ptrs = calloc(want, sizeof *ptrs);
    size_t k = 0, accepted = 0;
    int rc = -1;
    if (!jobs || !ptrs) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && k < want; i++) {
        if (rows[i].state != JOB_PLANNED || rows[i].submit_pending)
            continue;
        if (job_from_row(o, &rows[i], &jobs[k], err, errlen) != 0) {
            k++;
            goto out;
        }
        ptrs[k] = &jobs[k];
        k++;
    }
    /* The intent is durable before the backend hears of the jobs (journal.h). */
    if (journal_begin(o->jn, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < k; i++)
        if (journal_job_submit_intent(o->jn, jobs[i].id, err, errlen) != 0) {
            journal_rollback(o->jn);
            goto out;
        }
    if (journal_commit(o->jn, err, errlen) != 0)
        goto out;
    char serr[512] = "";
    int src = o->be->ops->submit(o->be, ptrs, k, &accepted, serr, sizeof serr);
    if (journal_begin(o->jn, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < k; i++) {
        int r = i < accepted && jobs[i].backend_id
                    ? journal_job_submitted(o->jn, jobs[i].id, jobs[i].backend_id, err, errlen)
                    : journal_job_submit_cleared(o->jn, jobs[i].id, err, errlen);
        if (r != 0) {
            journal_rollback(o->jn);
            goto out;
        }
    }
    if (journal_commit(o->jn, err, errlen) != 0)
        goto out;
    if (src != 0 || accepted < k) {
        snprintf(err, errlen, "submitting jobs: %s", serr[0] ? serr : "the backend refused");
        goto out;
    }
    rc = 0;
out:
    jobs_free(jobs, k);
    free(ptrs);
    return rc;
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
                 ? plan_point_jobs(o, &p, one, 1, round, &added, err, errlen)
                 : plan_point_jobs(o, &p, types, n_types, round, &added, err, errlen);
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
static int maybe_propose(loop *L, journal_job *rows, size_t n, size_t n_active, char *err,
                         size_t errlen)
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

/* ---- progress ------------------------------------------------------------------------------- */

static void show_progress(loop *L, const size_t c[JOB_CANCELLED + 1], int final)
{
    const run_options *o = L->o;
    size_t total = 0, done = c[JOB_SUCCEEDED] + c[JOB_FAILED] + c[JOB_CANCELLED];
    for (int i = 0; i <= JOB_CANCELLED; i++)
        total += c[i];
    double el = mono_seconds() - L->t0;
    char eta[32] = "";
    if (done > 0 && done < total && el > 0)
        snprintf(eta, sizeof eta, ", ~%.0fs left", el / (double)done * (double)(total - done));
    if (o->progress_tty) {
        fprintf(stderr, "\r%zu/%zu done: %zu planned, %zu submitted, %zu running, %zu succeeded,"
                " %zu failed, %zu cancelled [%.0fs%s]\033[K%s",
                done, total, c[JOB_PLANNED], c[JOB_SUBMITTED], c[JOB_RUNNING], c[JOB_SUCCEEDED],
                c[JOB_FAILED], c[JOB_CANCELLED], el, eta, final ? "\n" : "");
        fflush(stderr);
        return;
    }
    if (memcmp(c, L->last_counts, sizeof L->last_counts) != 0 || final)
        log_info("%zu/%zu done: %zu planned, %zu submitted, %zu running, %zu succeeded, "
                 "%zu failed, %zu cancelled (%.0fs%s)",
                 done, total, c[JOB_PLANNED], c[JOB_SUBMITTED], c[JOB_RUNNING], c[JOB_SUCCEEDED],
                 c[JOB_FAILED], c[JOB_CANCELLED], el, eta);
    memcpy(L->last_counts, c, sizeof L->last_counts);
}

/* ---- the loop ---------------------------------------------------------------------------- */

static int stopped(const run_options *o)
{
    return o->stop && *o->stop;
}

/* One pass; *active is set to the number of jobs not yet final. */
static int pass(loop *L, size_t *active, char *err, size_t errlen)
{
    const run_options *o = L->o;
    journal_job *rows = NULL;
    size_t n = 0;
    if (journal_jobs(o->jn, o->experiment_id, JOURNAL_ACTIVE, &rows, &n, err, errlen) != 0)
        return -1;
    int rc = recover_pending(L, rows, n, err, errlen);
    journal_jobs_free(rows, n);
    rows = NULL;
    if (rc == 0)
        rc = journal_jobs(o->jn, o->experiment_id, JOURNAL_ACTIVE, &rows, &n, err, errlen);
    if (rc == 0)
        rc = poll_jobs(L, rows, n, err, errlen);
    journal_jobs_free(rows, n);
    rows = NULL;
    if (rc == 0 && !stopped(o))
        rc = journal_jobs(o->jn, o->experiment_id, JOURNAL_ACTIVE, &rows, &n, err, errlen);
    if (rc == 0 && !stopped(o)) {
        size_t in_flight = 0;
        for (size_t i = 0; i < n; i++)
            in_flight += rows[i].state != JOB_PLANNED || rows[i].submit_pending;
        rc = submit_jobs(L, rows, n, in_flight, err, errlen);
    }
    journal_jobs_free(rows, n);
    if (rc != 0)
        return -1;
    size_t c[JOB_CANCELLED + 1];
    if (journal_counts(o->jn, o->experiment_id, c, err, errlen) != 0)
        return -1;
    *active = c[JOB_PLANNED] + c[JOB_SUBMITTED] + c[JOB_RUNNING];
    if (*active == 0 && o->proposer && !L->search_done && !stopped(o)) {
        journal_job *all = NULL;
        size_t na = 0;
        if (journal_jobs(o->jn, o->experiment_id, JOURNAL_ALL, &all, &na, err, errlen) != 0)
            return -1;
        rc = maybe_propose(L, all, na, 0, err, errlen);
        journal_jobs_free(all, na);
        if (rc != 0 || journal_counts(o->jn, o->experiment_id, c, err, errlen) != 0)
            return -1;
        *active = c[JOB_PLANNED] + c[JOB_SUBMITTED] + c[JOB_RUNNING];
    }
    show_progress(L, c, *active == 0);
    return 0;
}

static void sleep_interruptible(const run_options *o, double seconds)
{
    double end = mono_seconds() + seconds;
    while (!stopped(o) && mono_seconds() < end) {
        double left = end - mono_seconds();
        usleep((useconds_t)((left > 0.1 ? 0.1 : left > 0 ? left : 0) * 1e6));
    }
}

int run_loop(const run_options *o, char *err, size_t errlen)
{
    loop L = {.o = o, .t0 = mono_seconds()};
    double interval = o->poll_interval > 0 ? o->poll_interval
                      : o->cfg->backend == CONFIG_BACKEND_LOCAL ? 0.2 : 10;
    L.col = collector_new(o->cfg, o->output_dir, err, errlen);
    if (!L.col)
        return -1;
    char perr[256];
    if (price_book_open_for_config(o->cfg, NULL, 0, &L.pb, perr, sizeof perr) != 0) {
        log_warn("prices unavailable: %s", perr);
        L.pb = NULL;
    }
    int rc = 0;
    size_t active = 1;
    while (!stopped(o)) {
        if (pass(&L, &active, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (active == 0 && (!o->proposer || L.search_done))
            break;
        sleep_interruptible(o, interval);
    }
    if (rc == 0 && stopped(o)) {
        if (o->progress_tty)
            fputc('\n', stderr);
        rc = 1;
    }
    price_book_free(L.pb);
    collector_free(L.col);
    free(L.strikes);
    return rc;
}

/* ---- kill and re-collect ------------------------------------------------------------------ */

static int cancel_active(loop *L, journal_job *rows, size_t n, char *err, size_t errlen)
{
    const run_options *o = L->o;
    for (size_t i = 0; i < n; i++) {
        journal_job *jj = &rows[i];
        if (!jj->backend_id) {
            backend_status st = {.state = JOB_CANCELLED, .exit_code = -1};
            snprintf(st.reason, sizeof st.reason, "cancelled before it was submitted");
            if (journal_job_finish(o->jn, jj->id, JOB_CANCELLED, &st, NULL, err, errlen) != 0)
                return -1;
            continue;
        }
        job j;
        char cerr[512];
        if (job_from_row(o, jj, &j, err, errlen) != 0) {
            job_free_fields(&j);
            return -1;
        }
        if (o->be->ops->cancel(o->be, &j, cerr, sizeof cerr) != 0)
            log_warn("job %lld (%s): %s", jj->id, jj->backend_id, cerr);
        job_free_fields(&j);
    }
    return 0;
}

/* Polls the cancelled jobs until they end, recording them as cancelled. */
static int reap_cancelled(loop *L, double wait_seconds, char *err, size_t errlen)
{
    const run_options *o = L->o;
    double deadline = mono_seconds() + wait_seconds;
    for (;;) {
        journal_job *rows = NULL;
        size_t n = 0, k = 0;
        if (journal_jobs(o->jn, o->experiment_id, JOURNAL_ACTIVE, &rows, &n, err, errlen) != 0)
            return -1;
        job *jobs = calloc(n ? n : 1, sizeof *jobs);
        job **ptrs = calloc(n ? n : 1, sizeof *ptrs);
        backend_status *st = calloc(n ? n : 1, sizeof *st);
        int rc = jobs && ptrs && st ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            rc = job_from_row(o, &rows[i], &jobs[i], err, errlen);
            ptrs[i] = &jobs[i];
            k = i + 1;
        }
        if (rc == 0 && n > 0)
            rc = o->be->ops->poll(o->be, ptrs, n, st, err, errlen);
        int last = mono_seconds() >= deadline;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (!job_state_is_final(st[i].state) && !last)
                continue;
            if (!job_state_is_final(st[i].state))
                snprintf(st[i].reason, sizeof st[i].reason, "still stopping when kill gave up");
            st[i].state = JOB_CANCELLED;
            if (!st[i].reason[0])
                snprintf(st[i].reason, sizeof st[i].reason, "killed by orchestrate kill");
            collect_item ci = {.jj = &rows[i]};
            collector_fetch_all(L->col, &ci, 1, 1);
            rc = finish_job(L, &jobs[i], &rows[i], &st[i], &ci, err, errlen);
            journal_result_free(&ci.r);
        }
        jobs_free(jobs, k);
        free(ptrs);
        free(st);
        journal_jobs_free(rows, n);
        if (rc != 0)
            return -1;
        if (n == 0 || last)
            return 0;
        usleep(200000);
    }
}

int run_cancel_all(const run_options *o, double wait_seconds, char *err, size_t errlen)
{
    loop L = {.o = o, .t0 = mono_seconds()};
    journal_job *rows = NULL;
    size_t n = 0;
    L.col = collector_new(o->cfg, o->output_dir, err, errlen);
    if (!L.col)
        return -1;
    int rc = journal_jobs(o->jn, o->experiment_id, JOURNAL_ACTIVE, &rows, &n, err, errlen);
    if (rc == 0)
        rc = recover_pending(&L, rows, n, err, errlen);
    journal_jobs_free(rows, n);
    rows = NULL;
    if (rc == 0)
        rc = journal_jobs(o->jn, o->experiment_id, JOURNAL_ACTIVE, &rows, &n, err, errlen);
    if (rc == 0) {
        log_info("cancelling %zu jobs", n);
        rc = cancel_active(&L, rows, n, err, errlen);
    }
    journal_jobs_free(rows, n);
    if (rc == 0)
        rc = reap_cancelled(&L, wait_seconds, err, errlen);
    collector_free(L.col);
    free(L.strikes);
    return rc;
}

int run_recollect(const run_options *o, char *err, size_t errlen)
{
    journal_job *rows = NULL;
    size_t n = 0;
    collector *col = collector_new(o->cfg, o->output_dir, err, errlen);
    if (!col)
        return -1;
    int rc = journal_jobs(o->jn, o->experiment_id, JOURNAL_FINAL, &rows, &n, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (rows[i].collected)
            continue;
        journal_result r;
        char cerr[512];
        journal_result_init(&r);
        int c = collector_fetch(col, &rows[i], &r, cerr, sizeof cerr);
        if (c == 0) {
            backend_status st = {.state = rows[i].state, .exit_code = rows[i].exit_code};
            rc = journal_job_finish(o->jn, rows[i].id, rows[i].state, &st, &r, err, errlen);
        } else if (c < 0) {
            log_warn("job %lld: %s", rows[i].id, cerr);
        }
        journal_result_free(&r);
    }
    journal_jobs_free(rows, n);
    collector_free(col);
    return rc;
}

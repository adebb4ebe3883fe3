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
#include "orchestrator/run_internal.h"

/* ---- jobs for the backend --------------------------------------------------------------- */

void run_jobs_free(job *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        job_free_fields(&v[i]);
    free(v);
}

/* A backend job from a journal row: argv from the point's values. */
int run_job_from_row(const run_options *o, const journal_job *jj, job *j, char *err,
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

strike *run_strike_for(loop *L, long long job_id)
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
int run_recover_pending(loop *L, journal_job *jobs, size_t n, char *err, size_t errlen)
{
    const run_options *o = L->o;
    for (size_t i = 0; i < n; i++) {
        journal_job *jj = &jobs[i];
        if (!jj->submit_pending || jj->backend_id)
            continue;
        job j;
        if (run_job_from_row(o, jj, &j, err, errlen) != 0) {
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
int run_finish_job(loop *L, const job *j, const journal_job *jj, backend_status *st,
                   collect_item *ci, char *err, size_t errlen)
{
    const run_options *o = L->o;
    journal_result *r = &ci->r;
    int c = ci->rc;
    strike *sk = run_strike_for(L, jj->id);
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
        rc = run_finish_job(L, &jobs[idx[m]], which[idx[m]], &st[idx[m]], &items[m], err, errlen);
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
    strike *sk = run_strike_for(L, jj->id);
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
 * max_resubmits times), as Lorien does. A queued job's progress_at, when set, counts as a
 * sign of life too: the batch backend sets it for a job whose news it has not described
 * yet (its per-poll budget), which may have started long ago. 1 when it was requeued. */
static int handle_stall(loop *L, job *j, const journal_job *jj, const backend_status *st,
                        char *err, size_t errlen)
{
    const run_options *o = L->o;
    double limit = o->cfg->stall_timeout_seconds;
    double since = jj->updated_at > 0 ? jj->updated_at : jj->submitted_at;
    if (st->state == JOB_RUNNING)
        since = st->progress_at > since ? st->progress_at : st->progress_at > 0 ? since : 0;
    else if (st->progress_at > since)
        since = st->progress_at;
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
        if (run_job_from_row(o, &rows[i], &jobs[k], err, errlen) != 0) {
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
    run_jobs_free(jobs, k);
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
        if (run_job_from_row(o, &rows[i], &jobs[k], err, errlen) != 0) {
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
    run_jobs_free(jobs, k);
    free(ptrs);
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
    int rc = run_recover_pending(L, rows, n, err, errlen);
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
        rc = run_search_maybe_propose(L, all, na, 0, err, errlen);
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

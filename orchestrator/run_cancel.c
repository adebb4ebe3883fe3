/* `orchestrate kill` and `orchestrate report`'s re-collection, over the run loop's parts. */
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
        if (run_job_from_row(o, jj, &j, err, errlen) != 0) {
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
            rc = run_job_from_row(o, &rows[i], &jobs[i], err, errlen);
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
            rc = run_finish_job(L, &jobs[i], &rows[i], &st[i], &ci, err, errlen);
            journal_result_free(&ci.r);
        }
        run_jobs_free(jobs, k);
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
        rc = run_recover_pending(&L, rows, n, err, errlen);
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

/* The Batch backend's pure parts: resource names, job-name round trips, container sizing
 * and the grouping of replicates into array jobs (orchestrator/backend_batch.c,
 * orchestrator/batch_names.c). */
#include <stdlib.h>

#include "orchestrator/backend_batch.h"
#include "orchestrator/batch_names.h"
#include "tests/unit/unit.h"

static config make_config(batch_pinning pin)
{
    config c;
    memset(&c, 0, sizeof c);
    c.experiment = "primes demo";
    c.batch.pinning = pin;
    return c;
}

TEST(names_queue_per_type)
{
    config c = make_config(BATCH_PIN_QUEUE_PER_TYPE);
    char out[BATCH_NAME_MAX];
    batch_queue_name(&c, "c5.large", out);
    CHECK_STR(out, "orchestrate-c5-large");
    batch_ce_name(&c, "c5.large", out);
    CHECK_STR(out, "orchestrate-c5-large");
    c.batch.name_prefix = "bench";
    batch_queue_name(&c, "m6g.xlarge", out);
    CHECK_STR(out, "bench-m6g-xlarge");
    batch_jobdef_name(&c, "p3.2xlarge", 2, 1, 0, out);
    CHECK_STR(out, "bench-p3-2xlarge-n2-g1");
    batch_jobdef_name(&c, "c5.large", 1, 0, 0, out);
    CHECK_STR(out, "bench-c5-large");
}

TEST(names_mnp)
{
    config c = make_config(BATCH_PIN_MNP);
    char out[BATCH_NAME_MAX];
    batch_queue_name(&c, "c5.large", out);
    CHECK_STR(out, "orchestrate-queue");
    batch_ce_name(&c, "c5.large", out);
    CHECK_STR(out, "orchestrate-ce");
    c.batch.job_queue = "my-queue";
    batch_queue_name(&c, "c5.large", out);
    CHECK_STR(out, "my-queue");
    batch_jobdef_name(&c, "c5.large", 1, 0, 7, out);
    CHECK_STR(out, "orchestrate-c5-large-a7");
}

TEST(job_names_round_trip)
{
    config c = make_config(BATCH_PIN_QUEUE_PER_TYPE);
    char out[BATCH_NAME_MAX];
    long long first = 0;
    int count = 0;
    batch_job_name(&c, 42, 1, out);
    CHECK_STR(out, "primes-demo_j42");
    CHECK_INT(batch_job_name_parse(&c, out, &first, &count), 0);
    CHECK_INT(first, 42);
    CHECK_INT(count, 1);
    batch_job_name(&c, 7, 3, out);
    CHECK_STR(out, "primes-demo_j7_n3");
    CHECK_INT(batch_job_name_parse(&c, out, &first, &count), 0);
    CHECK_INT(first, 7);
    CHECK_INT(count, 3);
    batch_job_name_filter(&c, out);
    CHECK_STR(out, "primes-demo_j*");
    CHECK_INT(batch_job_name_parse(&c, "other_j7", &first, &count), -1);
    CHECK_INT(batch_job_name_parse(&c, "primes-demo_j", &first, &count), -1);
    CHECK_INT(batch_job_name_parse(&c, "primes-demo_j7x", &first, &count), -1);
    CHECK_INT(batch_job_name_parse(&c, "primes-demo_j7_n1", &first, &count), -1);
    CHECK_INT(batch_job_name_parse(&c, "primes-demo_j7_n", &first, &count), -1);
    CHECK_INT(batch_job_name_parse(&c, NULL, &first, &count), -1);
    /* job names start with a letter or digit */
    c.experiment = ".hidden";
    batch_job_name(&c, 5, 1, out);
    CHECK_STR(out, "e-hidden_j5");
    CHECK_INT(batch_job_name_parse(&c, out, &first, &count), 0);
    /* a long experiment name still makes a valid (<= 128) job name */
    char longexp[300];
    memset(longexp, 'x', sizeof longexp - 1);
    longexp[sizeof longexp - 1] = '\0';
    c.experiment = longexp;
    batch_job_name(&c, 123456789, 10000, out);
    CHECK(strlen(out) <= 128);
    CHECK_INT(batch_job_name_parse(&c, out, &first, &count), 0);
    CHECK_INT(count, 10000);
}

TEST(container_size)
{
    double vcpus = 0;
    long long mem = 0;
    char err[256];
    CHECK_INT(batch_container_size("c5.large", 0, &vcpus, &mem, err, sizeof err), 0);
    CHECK_NEAR(vcpus, 2, 0);
    CHECK(mem > 3000 && mem < 4096);   /* 4 GiB less what the agent keeps */
    CHECK_INT(batch_container_size("c5.large", 1, &vcpus, &mem, err, sizeof err), -1);
    CHECK(strstr(err, "GPU") != NULL);
    CHECK_INT(batch_container_size("nonesuch.huge", 0, &vcpus, &mem, err, sizeof err), -1);
    CHECK(strstr(err, "nonesuch.huge") != NULL);
}

static job mk(long long id, const char *type, const char *tag, int rep)
{
    job j;
    memset(&j, 0, sizeof j);
    j.id = id;
    j.instance_type = (char *)type;
    j.point_tag = (char *)tag;
    j.replicate = rep;
    j.nodes = 1;
    static char urls[16][128];
    snprintf(urls[id % 16], sizeof urls[0], "s3://b/p/e/%s/%s/%d/", type, tag, rep);
    j.result_url = urls[id % 16];
    return j;
}

TEST(array_grouping)
{
    job v[7] = {
        mk(1, "c5.large", "n=1", 0), mk(2, "c5.large", "n=1", 1), mk(3, "c5.large", "n=1", 2),
        mk(4, "c5.large", "n=2", 0), mk(5, "m5.large", "n=2", 0), mk(7, "m5.large", "n=2", 1),
        mk(8, "m5.large", "n=2", 2),
    };
    job *p[7];
    for (int i = 0; i < 7; i++)
        p[i] = &v[i];
    CHECK_INT(batch_array_run(p, 7), 3);       /* replicates 0..2 of one point */
    CHECK_INT(batch_array_run(p + 3, 4), 1);   /* the next job is another type */
    CHECK_INT(batch_array_run(p + 4, 3), 1);   /* ids 5, 7: not consecutive */
    CHECK_INT(batch_array_run(p + 5, 2), 2);
    CHECK_INT(batch_array_run(p, 2), 2);
    CHECK_INT(batch_array_run(p, 0), 0);
    v[1].nodes = 2;                            /* multi-node jobs are never arrays */
    CHECK_INT(batch_array_run(p, 3), 1);
    v[1].nodes = 1;
    v[1].result_url = "s3://b/elsewhere/1/";
    CHECK_INT(batch_array_run(p, 3), 1);
}

TEST(point_url)
{
    job j = mk(1, "c5.large", "n=1", 12);
    char *u = batch_point_url(&j);
    CHECK_STR(u, "s3://b/p/e/c5.large/n=1/");
    free(u);
    j.result_url = "s3://b/p/e/c5.large/n=1/3/";
    CHECK(batch_point_url(&j) == NULL);
    j.result_url = NULL;
    CHECK(batch_point_url(&j) == NULL);
}

TEST(stall_check_checkpoint_and_period)
{
    config c = make_config(BATCH_PIN_QUEUE_PER_TYPE);
    CHECK_INT(batch_checkpoint_seconds(&c), 0);            /* no stall_timeout: off */
    CHECK_INT(batch_mnp_command_length(&c, 3), 8);
    c.stall_timeout_seconds = 600;
    CHECK_INT(batch_checkpoint_seconds(&c), 150);          /* a quarter of the timeout */
    CHECK_INT(batch_mnp_command_length(&c, 3), 10);        /* + --checkpoint N */
    c.stall_timeout_seconds = 12;
    CHECK_INT(batch_checkpoint_seconds(&c), 5);            /* never under 5 s */
    CHECK_NEAR(batch_progress_period(&c, 1), 3, 1e-9);     /* listings: a quarter ... */
    CHECK_NEAR(batch_progress_period(&c, 20), 20, 1e-9);   /* ... or the poll interval */
    char *args[] = { "--interval", "1", "--checkpoint", "30" };
    c.monitor_args = args;
    c.n_monitor_args = 4;
    CHECK_INT(batch_checkpoint_seconds(&c), 0);            /* the config's own stands */
    CHECK_INT(batch_mnp_command_length(&c, 3), 12);
}

TEST(stall_check_prefix)
{
    /* an array's replicates share their point's prefix: one listing for all */
    job a = mk(1, "c5.large", "n=1", 0), b = mk(2, "c5.large", "n=1", 1);
    char *pa = batch_progress_prefix(&a), *pb = batch_progress_prefix(&b);
    CHECK_STR(pa, "s3://b/p/e/c5.large/n=1/");
    CHECK_STR(pb, pa);
    free(pa);
    free(pb);
    a.result_url = "s3://b/flat";                          /* not .../REP/: its own */
    pa = batch_progress_prefix(&a);
    CHECK_STR(pa, "s3://b/flat/");
    free(pa);
    a.result_url = NULL;
    CHECK(batch_progress_prefix(&a) == NULL);
}

/* A summary of an array: counts per Batch status in the order of batch_job_status. */
static void summary_of(int *sum, int submitted, int pending, int runnable, int starting,
                       int running, int succeeded, int failed)
{
    int v[] = { submitted, pending, runnable, starting, running, succeeded, failed };
    memcpy(sum, v, sizeof v);
}

TEST(summary_classes_fold_batch_statuses)
{
    int sum[BATCH_STATUS_UNKNOWN], c[BATCH_N_CLASSES];
    summary_of(sum, 1, 2, 3, 4, 5, 6, 7);
    batch_summary_classes(sum, c);
    CHECK_INT(c[BATCH_CLASS_QUEUED], 6);
    CHECK_INT(c[BATCH_CLASS_RUNNING], 9);
    CHECK_INT(c[BATCH_CLASS_SUCCEEDED], 6);
    CHECK_INT(c[BATCH_CLASS_FAILED], 7);
}

TEST(summary_agrees_with_known_states)
{
    int sum[BATCH_STATUS_UNKNOWN];
    /* right after a submit: 10 children queued, the journal says 10 submitted; PENDING vs
     * RUNNABLE is nothing the journal records */
    int queued[BATCH_N_CLASSES] = { 10, 0, 0, 0 };
    summary_of(sum, 0, 3, 7, 0, 0, 0, 0);
    CHECK_INT(batch_summary_agrees(sum, 10, queued, 10), 1);
    /* one started: its start time is news */
    summary_of(sum, 0, 3, 6, 1, 0, 0, 0);
    CHECK_INT(batch_summary_agrees(sum, 10, queued, 10), 0);
    /* a restarted run polls its 4 active children; the other 6 are final in the journal */
    int active[BATCH_N_CLASSES] = { 1, 3, 0, 0 };
    summary_of(sum, 0, 0, 1, 1, 2, 5, 1);
    CHECK_INT(batch_summary_agrees(sum, 10, active, 4), 1);
    /* one of the running ones finished meanwhile: 7 final for 6 unpolled */
    summary_of(sum, 0, 0, 1, 0, 2, 6, 1);
    CHECK_INT(batch_summary_agrees(sum, 10, active, 4), 0);
    /* a finished child counted as queued again (a retry) is news too */
    summary_of(sum, 0, 0, 2, 0, 2, 5, 1);
    CHECK_INT(batch_summary_agrees(sum, 10, active, 4), 0);
    /* known final children must be covered by the summary's own class */
    int done[BATCH_N_CLASSES] = { 0, 0, 2, 1 };
    summary_of(sum, 0, 0, 0, 0, 0, 3, 0);
    CHECK_INT(batch_summary_agrees(sum, 3, done, 3), 0);
    summary_of(sum, 0, 0, 0, 0, 0, 2, 1);
    CHECK_INT(batch_summary_agrees(sum, 3, done, 3), 1);
    /* a summary missing children (or more children polled than the array has) */
    summary_of(sum, 0, 0, 9, 0, 0, 0, 0);
    CHECK_INT(batch_summary_agrees(sum, 10, queued, 10), 0);
    CHECK_INT(batch_summary_agrees(sum, 9, queued, 10), 0);
}

TEST(summary_infers_uniform_active_children)
{
    int sum[BATCH_STATUS_UNKNOWN];
    /* every child queued, whatever the Batch status: their class is known */
    summary_of(sum, 2, 3, 5, 0, 0, 0, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 10), BATCH_CLASS_QUEUED);
    summary_of(sum, 0, 0, 0, 4, 6, 0, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 10), BATCH_CLASS_RUNNING);
    /* finished children are never inferred: their exit codes and times are needed */
    summary_of(sum, 0, 0, 0, 0, 0, 10, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 10), -1);
    summary_of(sum, 0, 0, 0, 0, 0, 0, 10);
    CHECK_INT(batch_summary_infer(sum, 10, 10), -1);
    /* a mix: which child is which is not known */
    summary_of(sum, 0, 0, 3, 0, 7, 0, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 10), -1);
    summary_of(sum, 0, 0, 0, 0, 9, 1, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 10), -1);
    /* 3 children final (not polled), the 7 polled ones all running */
    summary_of(sum, 0, 0, 0, 0, 7, 2, 1);
    CHECK_INT(batch_summary_infer(sum, 10, 7), BATCH_CLASS_RUNNING);
    summary_of(sum, 0, 7, 0, 0, 0, 3, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 7), BATCH_CLASS_QUEUED);
    /* ... but a polled child finished too: describe */
    summary_of(sum, 0, 0, 0, 0, 6, 3, 1);
    CHECK_INT(batch_summary_infer(sum, 10, 7), -1);
    /* an unpolled child not final after all: the counts do not add up */
    summary_of(sum, 0, 0, 0, 0, 8, 2, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 7), -1);
    /* children not all created yet, none polled, more polled than the array has */
    summary_of(sum, 0, 0, 6, 0, 0, 0, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 10), -1);
    summary_of(sum, 0, 0, 0, 0, 0, 10, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 0), -1);
    summary_of(sum, 0, 0, 10, 0, 0, 0, 0);
    CHECK_INT(batch_summary_infer(sum, 10, 11), -1);
}

TEST(pick_children_oldest_wait_first_within_budget)
{
    batch_pick v[] = {
        { .job = 0, .id = "b:1", .waiting_since = 5, .described = 0 },
        { .job = 1, .id = "a:0", .waiting_since = 7, .described = 0 },
        { .job = 2, .id = "c:0", .waiting_since = 5, .described = 3 },
        { .job = 3, .id = "b:0", .waiting_since = 5, .described = 0 },
        { .job = 4, .id = "d:0", .waiting_since = 2, .described = 4 },
    };
    /* the array waiting since poll 2, then poll 5's children never described (b's, in
     * order), then the one described in poll 3; poll 7's waits */
    CHECK_INT(batch_pick_children(v, 5, 4), 4);
    CHECK_STR(v[0].id, "d:0");
    CHECK_STR(v[1].id, "b:0");
    CHECK_STR(v[2].id, "b:1");
    CHECK_STR(v[3].id, "c:0");
    CHECK_STR(v[4].id, "a:0");
    CHECK_INT(v[4].job, 1);
    CHECK_INT(batch_pick_children(v, 5, 100), 5);
    CHECK_INT(batch_pick_children(v, 0, 100), 0);
    /* a big array in turns: the 100 described least recently go first */
    batch_pick *big = calloc(250, sizeof *big);
    char (*ids)[16] = calloc(250, sizeof *ids);
    for (size_t i = 0; big && ids && i < 250; i++) {
        snprintf(ids[i], sizeof ids[i], "p:%03zu", i);
        big[i] = (batch_pick){ .job = i, .id = ids[i], .waiting_since = 1,
                               .described = i < 100 ? 9 : i < 200 ? 8 : 0 };
    }
    if (big && ids) {
        CHECK_INT(batch_pick_children(big, 250, BATCH_DESCRIBE_MAX), 100);
        CHECK_STR(big[0].id, "p:200");
        CHECK_STR(big[49].id, "p:249");
        CHECK_STR(big[50].id, "p:100");
        CHECK_STR(big[99].id, "p:149");
    }
    free(big);
    free(ids);
}

int main(void)
{
    RUN(names_queue_per_type);
    RUN(names_mnp);
    RUN(job_names_round_trip);
    RUN(container_size);
    RUN(array_grouping);
    RUN(point_url);
    RUN(stall_check_checkpoint_and_period);
    RUN(stall_check_prefix);
    RUN(summary_classes_fold_batch_statuses);
    RUN(summary_agrees_with_known_states);
    RUN(summary_infers_uniform_active_children);
    RUN(pick_children_oldest_wait_first_within_budget);
    return unit_done();
}

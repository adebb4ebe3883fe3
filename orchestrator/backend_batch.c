/* The AWS Batch backend: submit (array jobs for replicates), poll (DescribeJobs of plain jobs
 * and array parents, 100 ids per call, then at most one call's worth of children of arrays
 * whose status summary shows a change the journal does not record yet; backing off while
 * nothing changes), cancel (TerminateJob), recover (ListJobs by job name) and fetch_log
 * (CloudWatch Logs). See backend_batch.h for how a job reaches its container. */
#include "orchestrator/backend_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "orchestrator/batch_names.h"
#include "orchestrator/cloudwatch_logs.h"
#include "orchestrator/instance_types.h"
#include "uploader/digest.h"
#include "uploader/s3.h"

#define ARRAY_MAX 10000
#define FINGERPRINT_TAG "orchestrate-fingerprint"
#define KILL_REASON "orchestrate kill"
/* Poll back-off: the interval grows by half while no job changes state (up to 30 s), and
 * resets on a change. Polls in between are answered from the last DescribeJobs. */
#define POLL_MIN_SECONDS 1.0
#define POLL_MAX_SECONDS 30.0
#define POLL_GROWTH 1.5
/* Children described per poll at most: one DescribeJobs call. The others wait for the next
 * polls (see be_poll). */
#define CHILD_BUDGET BATCH_DESCRIBE_MAX

typedef struct jobdef_entry {
    char name[BATCH_NAME_MAX];
    char *arn;
} jobdef_entry;

typedef struct status_entry {
    char *id;
    backend_status st;
    unsigned long described;      /* the poll that last described the job, 0: none */
    double running_since;         /* running: the stall check's baseline (job_note) */
} status_entry;

typedef struct parent_entry {
    char *id;
    int has_summary;
    int summary[BATCH_STATUS_UNKNOWN];
    /* That poll accounted for every polled child against this summary (it agreed, was
     * inferred, or the children were described). Only then does the same summary in the
     * next poll mean nothing new. */
    int settled;
    unsigned long waiting_since;  /* not settled: the first poll of the wait */
} parent_entry;

/* What one ListObjectsV2 of a point's result prefix said: when each replicate's
 * timeseries.csv was last written (the stall check's sign of life). */
typedef struct ts_mark {
    char *key;                    /* the object's key */
    double modified;              /* epoch seconds */
} ts_mark;

typedef struct progress_entry {
    char *prefix_url;             /* s3://bucket/EXP/TYPE/TAG/ */
    double listed_at;             /* mono_seconds() of the last listing, 0: never */
    int ok;                       /* the last listing succeeded */
    int used;                     /* some running job of this poll has this prefix */
    ts_mark *marks;
    size_t n_marks;
} progress_entry;

typedef struct batch_be {
    const config *cfg;            /* borrowed: outlives the backend */
    aws_session *aws;
    jobdef_entry *defs;
    size_t n_defs;
    status_entry *cache;          /* the last poll's answers, sorted by id */
    size_t n_cache;
    parent_entry *parents;        /* the last poll's array parents, sorted by id */
    size_t n_parents;
    double poll_interval;
    double next_poll_at;          /* mono_seconds() */
    unsigned long polls;          /* polls that asked AWS, this one included */
    s3_client *s3;                /* for progress listings; made on first use */
    progress_entry *progress;     /* per running point prefix */
    size_t n_progress;
    batch_backend_stats stats;
} batch_be;

static void set_err(char *err, size_t errlen, const char *what, const aws_error *e)
{
    if (e->code[0])
        snprintf(err, errlen, "%s: %s: %s", what, e->code, e->message);
    else
        snprintf(err, errlen, "%s: %s", what, e->message);
}

/* ---- sizing and grouping (pure) -------------------------------------------------------- */

int batch_container_size(const char *instance_type, int gpus, double *vcpus,
                         long long *memory_mib, char *err, size_t errlen)
{
    const instance_type_info *t = instance_type_lookup(instance_type);
    if (!t) {
        snprintf(err, errlen, "instance type %s is not in the built-in table: its vCPUs and "
                 "memory are unknown", instance_type);
        return -1;
    }
    long long mem = (long long)t->memory_mib;
    /* A job asking for more memory than the ECS agent registers stays RUNNABLE forever:
     * keep a margin for the OS and the agent. */
    long long keep = mem / 16 > 512 ? mem / 16 : 512;
    *vcpus = t->vcpus;
    *memory_mib = mem > keep * 2 ? mem - keep : mem / 2;
    if (gpus > t->gpus) {
        snprintf(err, errlen, "instance type %s has %d GPUs, %d asked for", instance_type,
                 t->gpus, gpus);
        return -1;
    }
    return 0;
}

char *batch_point_url(const job *j)
{
    if (!j->result_url)
        return NULL;
    char tail[32];
    snprintf(tail, sizeof tail, "/%d/", j->replicate);
    size_t n = strlen(j->result_url), t = strlen(tail);
    if (n <= t || strcmp(j->result_url + n - t, tail) != 0)
        return NULL;
    return strndup(j->result_url, n - t + 1);
}

static int same_str(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

size_t batch_array_run(job *const *jobs, size_t n)
{
    if (n == 0)
        return 0;
    const job *first = jobs[0];
    char *point = batch_point_url(first);
    if (!point || first->nodes > 1) {
        free(point);
        return 1;
    }
    size_t k = 1;
    for (; k < n && k < ARRAY_MAX; k++) {
        const job *j = jobs[k];
        if (j->id != first->id + (long long)k || j->replicate != first->replicate + (int)k ||
            !same_str(j->instance_type, first->instance_type) ||
            !same_str(j->point_tag, first->point_tag) || j->nodes != first->nodes ||
            j->gpus != first->gpus)
            break;
        char *p = batch_point_url(j);
        int same = same_str(p, point);
        free(p);
        if (!same)
            break;
    }
    free(point);
    return k;
}

/* ---- string lists ------------------------------------------------------------------------ */

/* Name/value pairs whose strings are either borrowed or owned by the list. */
typedef struct kv_list {
    batch_kv *v;
    size_t n, cap;
    char **owned;
    size_t n_owned;
} kv_list;

static void kv_free(kv_list *l)
{
    for (size_t i = 0; i < l->n_owned; i++)
        free(l->owned[i]);
    free(l->owned);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int kv_own(kv_list *l, char *s)
{
    char **o = realloc(l->owned, (l->n_owned + 1) * sizeof *o);
    if (!o) {
        free(s);
        return -1;
    }
    l->owned = o;
    l->owned[l->n_owned++] = s;
    return 0;
}

/* Adds NAME=VALUE, replacing an earlier NAME (later sources win: job env over config env
 * over the orchestrator's variables). */
static int kv_set(kv_list *l, const char *name, const char *value)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0) {
            l->v[i].value = value;
            return 0;
        }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        batch_kv *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].name = name;
    l->v[l->n].value = value;
    l->n++;
    return 0;
}

static int kv_set_int(kv_list *l, const char *name, long long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    char *s = strdup(buf);
    if (!s || kv_own(l, s) != 0)
        return -1;
    return kv_set(l, name, s);
}

/* "KEY=VALUE" strings (NULL-terminated when n is (size_t)-1). */
static int kv_set_assignments(kv_list *l, char *const *env, size_t n)
{
    for (size_t i = 0; env && (n == (size_t)-1 ? env[i] != NULL : i < n); i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq || eq == env[i])
            continue;
        char *name = strndup(env[i], (size_t)(eq - env[i]));
        if (!name || kv_own(l, name) != 0 || kv_set(l, name, eq + 1) != 0)
            return -1;
    }
    return 0;
}

/* The job's environment; point_url non-NULL makes it an array job's (replicate from the
 * array index). */
static int job_environment(const config *cfg, const job *j, const char *point_url, kv_list *l)
{
    int rc = 0;
    rc |= kv_set(l, "MONITOR_RESULT_URL", point_url ? point_url : j->result_url);
    rc |= kv_set(l, "MONITOR_INSTANCE_TYPE", j->instance_type);
    rc |= kv_set(l, "ORCH_EXPERIMENT", j->experiment ? j->experiment : cfg->experiment);
    rc |= kv_set(l, "ORCH_POINT_TAG", j->point_tag);
    if (point_url)
        rc |= kv_set_int(l, "ORCH_ARRAY_REPLICATE_BASE", j->replicate);
    else
        rc |= kv_set_int(l, "ORCH_REPLICATE", j->replicate);
    if (rc == 0)
        rc = kv_set_assignments(l, j->env, (size_t)-1);
    return rc;
}

int batch_checkpoint_seconds(const config *cfg)
{
    if (cfg->stall_timeout_seconds <= 0)
        return 0;
    for (size_t i = 0; i < cfg->n_monitor_args; i++)
        if (strcmp(cfg->monitor_args[i], "--checkpoint") == 0)
            return 0;   /* the config's own choice stands */
    double n = cfg->stall_timeout_seconds / 4;
    return n < 5 ? 5 : n > 86400 ? 86400 : (int)n;
}

double batch_progress_period(const config *cfg, double poll_interval)
{
    double quarter = cfg->stall_timeout_seconds / 4;
    return quarter > poll_interval ? quarter : poll_interval;
}

/* monitor_system's arguments for the job (borrowed strings from cfg and j, the checkpoint
 * period in ckpt; caller frees the array only). with_url 0 for array jobs, whose children
 * get their URL from the environment. */
static const char **job_command(const config *cfg, const job *j, int with_url,
                                char ckpt[16], size_t *n)
{
    size_t argc = 0;
    while (j->argv && j->argv[argc])
        argc++;
    const char **v = calloc(cfg->n_monitor_args + argc + 10, sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_monitor_args; i++)
        v[k++] = cfg->monitor_args[i];
    int period = batch_checkpoint_seconds(cfg);
    if (period > 0) {
        /* A live job refreshes its timeseries.csv in S3: the stall check's sign of life. */
        snprintf(ckpt, 16, "%d", period);
        v[k++] = "--checkpoint";
        v[k++] = ckpt;
    }
    v[k++] = "--instance-type";
    v[k++] = j->instance_type;
    if (with_url && j->result_url) {
        v[k++] = "--result-url";
        v[k++] = j->result_url;
    }
    v[k++] = "--cmd";
    for (size_t i = 0; i < argc; i++)
        v[k++] = j->argv[i];
    *n = k;
    return v;
}

size_t batch_mnp_command_length(const config *cfg, size_t argc)
{
    /* job_command() with the URL: [--checkpoint N] --instance-type T --result-url URL --cmd */
    return cfg->n_monitor_args + (batch_checkpoint_seconds(cfg) > 0 ? 2 : 0) + 5 + argc;
}

/* ---- job definitions ----------------------------------------------------------------------- */

static void placeholder_name(size_t i, char out[16])
{
    snprintf(out, 16, "c%03u", (unsigned)(i % 1000));  /* argc <= 999 */
}

/* Fills the definition for (type, nodes, gpus, argc); the placeholder strings live in
 * holders (argc entries of 24 bytes) owned by the caller. */
static int describe_definition(const config *cfg, const char *type, int nodes, int gpus,
                               int argc, batch_job_definition *d, const char **cmd,
                               char (*holders)[24], kv_list *env, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    /* The config's env is the same for every job: it belongs to the definition (and moto
     * runs multi-node jobs with the definition's environment only). */
    if (kv_set_assignments(env, cfg->env, cfg->n_env) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->container.env = env->v;
    d->container.n_env = env->n;
    if (batch_container_size(type, gpus, &d->container.vcpus, &d->container.memory_mib, err,
                             errlen) != 0)
        return -1;
    d->multinode = cfg->batch.pinning == BATCH_PIN_MNP || nodes > 1;
    d->num_nodes = nodes > 1 ? nodes : 1;
    d->container.image = cfg->image;
    d->container.gpus = gpus;
    d->container.job_role_arn = cfg->batch.job_role_arn;
    d->container.execution_role_arn = cfg->batch.execution_role_arn;
    d->container.instance_type = type;
    for (int i = 0; i < argc; i++) {
        char name[16];
        placeholder_name((size_t)i, name);
        snprintf(holders[i], 24, "Ref::%s", name);
        cmd[i] = holders[i];
    }
    if (argc > 0) {
        d->container.command = cmd;
        d->container.n_command = (size_t)argc;
    }
    if (cfg->job_timeout_seconds > 0) {
        /* AWS rejects attempt durations under 60 s */
        double t = cfg->job_timeout_seconds < 60 ? 60 : cfg->job_timeout_seconds;
        d->timeout_seconds = t > 2147483647.0 ? 2147483647 : (int)(t + 0.5);
    }
    d->retry_attempts = cfg->batch.retry_attempts > 0 ? cfg->batch.retry_attempts : 1;
    return 0;
}

int batch_ensure_job_definition(aws_session *s, const config *cfg, const char *instance_type,
                                int nodes, int gpus, int argc, char **arn, char *err,
                                size_t errlen)
{
    *arn = NULL;
    if (argc < 0 || argc > 999) {
        snprintf(err, errlen, "a command of %d arguments is too long for a Batch definition",
                 argc);
        return -1;
    }
    char name[BATCH_NAME_MAX];
    batch_jobdef_name(cfg, instance_type, nodes, gpus, argc, name);
    const char **cmd = calloc((size_t)argc + 1, sizeof *cmd);
    char (*holders)[24] = calloc((size_t)argc + 1, sizeof *holders);
    batch_job_definition d;
    kv_list env = { 0 };
    int rc = -1;
    if (!cmd || !holders) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (describe_definition(cfg, instance_type, nodes, gpus, argc, &d, cmd, holders, &env,
                            err, errlen) != 0)
        goto out;
    d.name = name;
    /* The fingerprint of the content decides whether an ACTIVE revision can be reused:
     * RegisterJobDefinition would add a revision on every run otherwise. */
    char *body = batch_build_register_job_definition(&d);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    char fp[65];
    sha256_hex(body, strlen(body), fp);
    free(body);
    fp[20] = '\0';
    aws_error e;
    if (batch_find_job_definition(s, name, FINGERPRINT_TAG, fp, arn, &e) != 0) {
        set_err(err, errlen, "DescribeJobDefinitions", &e);
        goto out;
    }
    if (*arn) {
        rc = 0;
        goto out;
    }
    batch_kv tag = { FINGERPRINT_TAG, fp };
    d.tags = &tag;
    d.n_tags = 1;
    if (batch_register_job_definition(s, &d, arn, &e) != 0) {
        set_err(err, errlen, "RegisterJobDefinition", &e);
        goto out;
    }
    log_info("registered job definition %s", *arn);
    rc = 0;
out:
    kv_free(&env);
    free(cmd);
    free(holders);
    return rc;
}

/* The cached ARN for (type, nodes, gpus, argc), registering it on first use. */
static const char *job_definition_for(batch_be *be, const char *type, int nodes, int gpus,
                                      int argc, char *err, size_t errlen)
{
    char name[BATCH_NAME_MAX];
    batch_jobdef_name(be->cfg, type, nodes, gpus, argc, name);
    for (size_t i = 0; i < be->n_defs; i++)
        if (strcmp(be->defs[i].name, name) == 0)
            return be->defs[i].arn;
    jobdef_entry *nd = realloc(be->defs, (be->n_defs + 1) * sizeof *nd);
    if (!nd) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    be->defs = nd;
    char *arn = NULL;
    be->stats.register_calls++;
    if (batch_ensure_job_definition(be->aws, be->cfg, type, nodes, gpus, argc, &arn, err,
                                    errlen) != 0)
        return NULL;
    memcpy(nd[be->n_defs].name, name, sizeof name);
    nd[be->n_defs].arn = arn;
    be->n_defs++;
    return arn;
}

/* ---- submit ---------------------------------------------------------------------------------- */

static int uses_mnp(const config *cfg, const job *j)
{
    return cfg->batch.pinning == BATCH_PIN_MNP || j->nodes > 1;
}

/* Submits jobs[0..count) as one job (count 1) or one array job; sets their backend ids. */
static int submit_group(batch_be *be, job **jobs, size_t count, char *err, size_t errlen)
{
    const config *cfg = be->cfg;
    job *first = jobs[0];
    int mnp = uses_mnp(cfg, first);
    char *point_url = count > 1 ? batch_point_url(first) : NULL;
    size_t n_cmd = 0;
    char ckpt[16];
    const char **cmd = job_command(cfg, first, count == 1, ckpt, &n_cmd);
    kv_list env = { 0 }, params = { 0 };
    char (*names)[16] = calloc(n_cmd + 1, sizeof *names);
    char *job_id = NULL;
    int rc = -1;
    if (!cmd || !names || (count > 1 && !point_url) ||
        job_environment(cfg, first, point_url, &env) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    const char *def = job_definition_for(be, first->instance_type, first->nodes, first->gpus,
                                         mnp ? (int)n_cmd : 0, err, errlen);
    if (!def)
        goto out;
    char name[BATCH_NAME_MAX], queue[BATCH_NAME_MAX];
    batch_job_name(cfg, first->id, (int)count, name);
    batch_queue_name(cfg, first->instance_type, queue);
    batch_submit s = {
        .job_name = name, .job_queue = queue, .job_definition = def,
        .array_size = count > 1 ? (int)count : 0,
        .env = env.v, .n_env = env.n, .multinode = mnp,
        .num_nodes = mnp && first->nodes > 1 ? first->nodes : 0,
    };
    if (mnp) {
        for (size_t i = 0; i < n_cmd; i++) {
            placeholder_name(i, names[i]);
            if (kv_set(&params, names[i], cmd[i]) != 0) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
        }
        s.parameters = params.v;
        s.n_parameters = params.n;
    }
    /* mnp: AWS applies the nodeOverrides command (Ref:: substitution in multi-node
     * definitions is not something to rely on); moto ignores it and substitutes. */
    s.command = cmd;
    s.n_command = n_cmd;
    aws_error e;
    be->stats.submit_calls++;
    if (batch_submit_job(be->aws, &s, &job_id, &e) != 0) {
        set_err(err, errlen, "SubmitJob", &e);
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        char id[256];
        if (count > 1)
            snprintf(id, sizeof id, "%s:%zu", job_id, i);
        else
            snprintf(id, sizeof id, "%s", job_id);
        char *copy = strdup(id);
        if (!copy) {
            snprintf(err, errlen, "out of memory");
            goto out;   /* the earlier ones keep their ids; the caller sees how many */
        }
        free(jobs[i]->backend_id);
        jobs[i]->backend_id = copy;
    }
    log_debug("submitted %s (%zu job%s) to %s", name, count, count > 1 ? "s" : "", queue);
    rc = 0;
out:
    free(job_id);
    free(names);
    free(cmd);
    free(point_url);
    kv_free(&env);
    kv_free(&params);
    return rc;
}

static int be_submit(backend *b, job **jobs, size_t n, size_t *accepted, char *err,
                        size_t errlen)
{
    batch_be *be = b->self;
    *accepted = 0;
    size_t i = 0;
    while (i < n) {
        size_t k = uses_mnp(be->cfg, jobs[i]) ? 1 : batch_array_run(jobs + i, n - i);
        if (submit_group(be, jobs + i, k, err, errlen) != 0)
            return -1;
        i += k;
        *accepted = i;
    }
    return 0;
}

/* ---- poll -------------------------------------------------------------------------------------- */

static job_state map_status(batch_job_status s, const char *reason)
{
    switch (s) {
    case BATCH_SUBMITTED: case BATCH_PENDING: case BATCH_RUNNABLE:
        return JOB_SUBMITTED;
    case BATCH_STARTING: case BATCH_RUNNING:
        return JOB_RUNNING;
    case BATCH_SUCCEEDED:
        return JOB_SUCCEEDED;
    case BATCH_FAILED:
        return reason && strncmp(reason, KILL_REASON, strlen(KILL_REASON)) == 0
                   ? JOB_CANCELLED : JOB_FAILED;
    default:
        return JOB_SUBMITTED;
    }
}

static void fill_status(const batch_job_info *ji, backend_status *st)
{
    memset(st, 0, sizeof *st);
    st->state = map_status(ji->status, ji->status_reason);
    st->exit_code = ji->exit_code;
    /* Batch marks a job SUCCEEDED only for exit status 0; moto reports no exit codes. */
    if (st->state == JOB_SUCCEEDED && st->exit_code < 0)
        st->exit_code = 0;
    st->created_at = ji->created_at;
    st->started_at = ji->started_at;
    st->stopped_at = ji->stopped_at;
    if (ji->status_reason)
        snprintf(st->reason, sizeof st->reason, "%s", ji->status_reason);
}

static int cmp_status_entry(const void *a, const void *b)
{
    return strcmp(((const status_entry *)a)->id, ((const status_entry *)b)->id);
}

static const status_entry *cache_find(const batch_be *be, const char *id)
{
    if (!id || !be->n_cache)
        return NULL;
    status_entry key = { .id = (char *)id };
    return bsearch(&key, be->cache, be->n_cache, sizeof key, cmp_status_entry);
}

static void cache_clear(batch_be *be)
{
    for (size_t i = 0; i < be->n_cache; i++)
        free(be->cache[i].id);
    free(be->cache);
    be->cache = NULL;
    be->n_cache = 0;
}

/* Serves a poll from the last answers while the back-off interval runs: 1 when every job
 * was found there. */
static int poll_from_cache(const batch_be *be, job **jobs, size_t n, backend_status *st)
{
    if (mono_seconds() >= be->next_poll_at)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!cache_find(be, jobs[i]->backend_id))
            return 0;
    for (size_t i = 0; i < n; i++)
        st[i] = cache_find(be, jobs[i]->backend_id)->st;
    return 1;
}

/* What be_poll works out per polled job besides its status. */
typedef struct job_note {
    char *parent;                 /* its array parent's id (owned), NULL for a plain job */
    int chosen;                   /* described in this poll's second round */
    int deferred;                 /* its array waits to be described, and it was not: its
                                     last known state stands in (see be_poll) */
    unsigned long described;      /* the poll that last described it, 0: none */
    /* Running: when the stall check starts counting silence (before any checkpoint): Batch's
     * startedAt, else the time this process first saw it running (a child inferred running
     * from its array's summary, or re-attached after a restart). Never earlier than its real
     * start, so the stall check is never early. 0 when not running. */
    double running_since;
} job_note;

static void notes_free(job_note *notes, size_t n)
{
    for (size_t i = 0; notes && i < n; i++)
        free(notes[i].parent);
    free(notes);
}

/* Replaces the cache by this poll's answers; returns 1 when some job's state changed. */
static int cache_store(batch_be *be, job **jobs, size_t n, const backend_status *st,
                       const job_note *notes)
{
    int changed = 0;
    status_entry *nc = calloc(n + 1, sizeof *nc);
    size_t k = 0;
    for (size_t i = 0; nc && i < n; i++) {
        if (!jobs[i]->backend_id)
            continue;
        const status_entry *old = cache_find(be, jobs[i]->backend_id);
        if (!old || old->st.state != st[i].state)
            changed = 1;
        if (!(nc[k].id = strdup(jobs[i]->backend_id)))
            break;
        nc[k].st = st[i];
        nc[k].described = notes[i].described;
        nc[k].running_since = notes[i].running_since;
        k++;
    }
    cache_clear(be);
    if (nc) {
        qsort(nc, k, sizeof *nc, cmp_status_entry);
        be->cache = nc;
        be->n_cache = k;
    }
    return changed || !nc;
}

static int cmp_parent(const void *a, const void *b)
{
    return strcmp(((const parent_entry *)a)->id, ((const parent_entry *)b)->id);
}

static int cmp_info_id(const void *a, const void *b)
{
    return strcmp(((const batch_job_info *)a)->job_id, ((const batch_job_info *)b)->job_id);
}

/* The array parent of a child id "PARENT:N" (caller frees), or NULL for a plain job. */
static char *parent_of(const char *id)
{
    const char *colon = id ? strrchr(id, ':') : NULL;
    return colon ? strndup(id, (size_t)(colon - id)) : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const parent_entry *parent_find(const batch_be *be, const char *id)
{
    if (!be->n_parents)
        return NULL;
    parent_entry key = { .id = (char *)id };
    return bsearch(&key, be->parents, be->n_parents, sizeof key, cmp_parent);
}

static void parents_clear(batch_be *be)
{
    for (size_t i = 0; i < be->n_parents; i++)
        free(be->parents[i].id);
    free(be->parents);
    be->parents = NULL;
    be->n_parents = 0;
}

static const batch_job_info *info_find(const batch_job_info *v, size_t nv, const char *id)
{
    if (!id || !nv)
        return NULL;
    batch_job_info key = { .job_id = (char *)id };
    return bsearch(&key, v, nv, sizeof key, cmp_info_id);
}

void batch_summary_classes(const int summary[BATCH_STATUS_UNKNOWN], int cls[BATCH_N_CLASSES])
{
    cls[BATCH_CLASS_QUEUED] = summary[BATCH_SUBMITTED] + summary[BATCH_PENDING] +
                              summary[BATCH_RUNNABLE];
    cls[BATCH_CLASS_RUNNING] = summary[BATCH_STARTING] + summary[BATCH_RUNNING];
    cls[BATCH_CLASS_SUCCEEDED] = summary[BATCH_SUCCEEDED];
    cls[BATCH_CLASS_FAILED] = summary[BATCH_FAILED];
}

int batch_summary_agrees(const int summary[BATCH_STATUS_UNKNOWN], int array_size,
                         const int known[BATCH_N_CLASSES], int n_known)
{
    int c[BATCH_N_CLASSES];
    batch_summary_classes(summary, c);
    int others = array_size - n_known;
    if (others < 0 || c[BATCH_CLASS_QUEUED] != known[BATCH_CLASS_QUEUED] ||
        c[BATCH_CLASS_RUNNING] != known[BATCH_CLASS_RUNNING] ||
        c[BATCH_CLASS_SUCCEEDED] < known[BATCH_CLASS_SUCCEEDED] ||
        c[BATCH_CLASS_FAILED] < known[BATCH_CLASS_FAILED])
        return 0;
    return c[BATCH_CLASS_SUCCEEDED] + c[BATCH_CLASS_FAILED] ==
           known[BATCH_CLASS_SUCCEEDED] + known[BATCH_CLASS_FAILED] + others;
}

int batch_summary_infer(const int summary[BATCH_STATUS_UNKNOWN], int array_size, int n_polled)
{
    int c[BATCH_N_CLASSES], total = 0;
    batch_summary_classes(summary, c);
    for (int k = 0; k < BATCH_N_CLASSES; k++)
        total += c[k];
    int others = array_size - n_polled;
    /* The summary must count every child (an array's children are created after it) and
     * exactly the unpolled ones as final, so that the polled ones are all it has left. */
    if (n_polled <= 0 || others < 0 || total != array_size ||
        c[BATCH_CLASS_SUCCEEDED] + c[BATCH_CLASS_FAILED] != others)
        return -1;
    if (c[BATCH_CLASS_QUEUED] == n_polled)
        return BATCH_CLASS_QUEUED;
    if (c[BATCH_CLASS_RUNNING] == n_polled)
        return BATCH_CLASS_RUNNING;
    return -1;
}

static int cmp_pick(const void *a, const void *b)
{
    const batch_pick *x = a, *y = b;
    if (x->waiting_since != y->waiting_since)
        return x->waiting_since < y->waiting_since ? -1 : 1;
    if (x->described != y->described)
        return x->described < y->described ? -1 : 1;
    return strcmp(x->id, y->id);
}

size_t batch_pick_children(batch_pick *v, size_t n, size_t budget)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_pick);
    return n < budget ? n : budget;
}

static int summaries_same_classes(const int a[BATCH_STATUS_UNKNOWN],
                                  const int b[BATCH_STATUS_UNKNOWN])
{
    int ca[BATCH_N_CLASSES], cb[BATCH_N_CLASSES];
    batch_summary_classes(a, ca);
    batch_summary_classes(b, cb);
    return memcmp(ca, cb, sizeof ca) == 0;
}

/* A child's class as last known: this process's last answer, else the journal's state
 * (after a submit, a restart or a recover there is no answer yet); -1 when neither says. */
static int known_class(const batch_be *be, const job *j)
{
    const status_entry *c = cache_find(be, j->backend_id);
    switch (c ? c->st.state : j->state) {
    case JOB_SUBMITTED: return BATCH_CLASS_QUEUED;
    case JOB_RUNNING: return BATCH_CLASS_RUNNING;
    case JOB_SUCCEEDED: return BATCH_CLASS_SUCCEEDED;
    case JOB_FAILED: case JOB_CANCELLED: return BATCH_CLASS_FAILED;
    default: return -1;
    }
}

/* One array parent among the polled jobs: what is known of its children in this poll. */
typedef struct parent_view {
    const char *id;               /* borrowed from be_poll's notes */
    int known[BATCH_N_CLASSES];
    int n_known;                  /* its polled children (known class or not) */
    int all_cached;               /* every polled child has an answer from the last poll */
    int unknown;                  /* some polled child has no known state at all */
    int needed;                   /* its summary shows something new (children_needed) */
    int inferred;                 /* needed: every polled child's class per the summary
                                     (batch_summary_infer), else -1 */
    int wanted;                   /* needed and not inferred: its children must be described */
    int n_waiting;                /* of them, those not known final (choose_children) */
    int n_chosen;                 /* of those, described in this poll */
} parent_view;

static int cmp_view(const void *a, const void *b)
{
    return strcmp(((const parent_view *)a)->id, ((const parent_view *)b)->id);
}

static parent_view *view_find(parent_view *v, size_t n, const char *id)
{
    if (!id || !n)
        return NULL;
    parent_view key = { .id = id };
    return bsearch(&key, v, n, sizeof key, cmp_view);
}

/* The distinct parents of jobs (notes[i].parent per job, NULL for a plain job), sorted,
 * with what is known of their polled children; *nv of them (caller frees the array). */
static parent_view *parent_views(const batch_be *be, job **jobs, const job_note *notes,
                                 size_t n, size_t *nv)
{
    parent_view *v = calloc(n + 1, sizeof *v);
    size_t k = 0;
    *nv = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (notes[i].parent)
            v[k++].id = notes[i].parent;
    if (k)
        qsort(v, k, sizeof *v, cmp_view);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(v[u - 1].id, v[i].id) != 0) {
            v[u].id = v[i].id;
            v[u].all_cached = 1;
            v[u].inferred = -1;
            u++;
        }
    for (size_t i = 0; i < n; i++) {
        parent_view *p = view_find(v, u, notes[i].parent);
        if (!p)
            continue;
        int c = known_class(be, jobs[i]);
        if (c < 0)
            p->unknown = 1;
        else
            p->known[c]++;
        p->n_known++;
        if (!cache_find(be, jobs[i]->backend_id))
            p->all_cached = 0;
    }
    *nv = u;
    return v;
}

/* Does this parent's summary show something new? Not while it, folded into the states the
 * journal distinguishes, equals the last poll's summary and that poll settled the array
 * with answers for every polled child; else (the first poll after a submit, a restart or a
 * recover, or children left waiting for the budget) not while it agrees with the known
 * states themselves. */
static int children_needed(const batch_be *be, const parent_view *p,
                           const batch_job_info *v1, size_t n1)
{
    const batch_job_info *pi = info_find(v1, n1, p->id);
    if (!pi || !pi->has_summary || p->unknown)
        return 1;
    int total = 0;
    for (int k = 0; k < BATCH_STATUS_UNKNOWN; k++)
        total += pi->summary[k];
    /* An array just submitted may have no children yet: nothing to describe. */
    if (total == 0 && pi->status < BATCH_STARTING && p->known[BATCH_CLASS_QUEUED] == p->n_known)
        return 0;
    const parent_entry *old = parent_find(be, p->id);
    if (old && old->settled && old->has_summary && p->all_cached)
        return !summaries_same_classes(pi->summary, old->summary);
    return !batch_summary_agrees(pi->summary, pi->array_size, p->known, p->n_known);
}

/* Decides per parent: nothing new, every child inferred, or children to describe. */
static void plan_parents(const batch_be *be, parent_view *pv, size_t n_pv,
                         const batch_job_info *v1, size_t n1)
{
    for (size_t i = 0; i < n_pv; i++) {
        parent_view *p = &pv[i];
        p->needed = children_needed(be, p, v1, n1);
        const batch_job_info *pi = p->needed ? info_find(v1, n1, p->id) : NULL;
        if (pi && pi->has_summary)
            p->inferred = batch_summary_infer(pi->summary, pi->array_size, p->n_known);
        p->wanted = p->needed && p->inferred < 0;
    }
}

/* The poll since which the parent's children wait to be described: this one, unless the
 * last poll left the array waiting already. */
static unsigned long waiting_since(const batch_be *be, const char *parent)
{
    const parent_entry *old = parent_find(be, parent);
    return old && !old->settled && old->waiting_since ? old->waiting_since : be->polls;
}

/* The children of wanted parents that this poll describes (at most CHILD_BUDGET, by
 * batch_pick_children) into ids, *n_ids of them; sets the notes' chosen and deferred and
 * the parents' n_waiting and n_chosen. A child known final is not described again (a
 * final status is final in Batch too; the run loop polls none, batch_driver's `wait`
 * does). 0, or -1 when out of memory. */
static int choose_children(const batch_be *be, job **jobs, job_note *notes, size_t n,
                           parent_view *pv, size_t n_pv, const char **ids, size_t *n_ids)
{
    batch_pick *picks = calloc(n + 1, sizeof *picks);
    size_t k = 0;
    *n_ids = 0;
    if (!picks)
        return -1;
    for (size_t i = 0; i < n; i++) {
        parent_view *p = view_find(pv, n_pv, notes[i].parent);
        if (!p || !p->wanted || known_class(be, jobs[i]) >= BATCH_CLASS_SUCCEEDED)
            continue;
        p->n_waiting++;
        picks[k++] = (batch_pick){ .job = i, .id = jobs[i]->backend_id,
                                   .waiting_since = waiting_since(be, p->id),
                                   .described = notes[i].described };
        notes[i].deferred = 1;
    }
    size_t go = batch_pick_children(picks, k, CHILD_BUDGET);
    for (size_t m = 0; m < go; m++) {
        job_note *nt = &notes[picks[m].job];
        nt->chosen = 1;
        nt->deferred = 0;
        view_find(pv, n_pv, nt->parent)->n_chosen++;
        ids[(*n_ids)++] = picks[m].id;
    }
    free(picks);
    return 0;
}

/* Keeps the parents' status summaries of this poll for the next one, and whether each was
 * settled. */
static void parents_store(batch_be *be, const batch_job_info *v1, size_t n1,
                          const parent_view *pv, size_t n_pv)
{
    parent_entry *np = calloc(n_pv + 1, sizeof *np);
    size_t k = 0;
    for (size_t i = 0; np && i < n_pv; i++) {
        parent_entry *e = &np[k];
        if (!(e->id = strdup(pv[i].id)))
            continue;
        const batch_job_info *pi = info_find(v1, n1, pv[i].id);
        if (pi && pi->has_summary) {
            e->has_summary = 1;
            memcpy(e->summary, pi->summary, sizeof e->summary);
        }
        e->settled = pv[i].n_chosen == pv[i].n_waiting;
        e->waiting_since = e->settled ? 0 : waiting_since(be, pv[i].id);
        k++;
    }
    parents_clear(be);
    if (np) {
        qsort(np, k, sizeof *np, cmp_parent);
        be->parents = np;
        be->n_parents = k;
    }
}

/* Is some array's change left undescribed for a later poll? */
static int backlog_left(const parent_view *pv, size_t n_pv)
{
    for (size_t i = 0; i < n_pv; i++)
        if (pv[i].n_chosen < pv[i].n_waiting)
            return 1;
    return 0;
}

static void unknown_status(const job *j, backend_status *st)
{
    memset(st, 0, sizeof *st);
    st->state = JOB_FAILED;
    st->exit_code = -1;
    snprintf(st->reason, sizeof st->reason, "AWS Batch does not know job %s",
             j->backend_id ? j->backend_id : "(none)");
}

/* A child whose parent's summary showed nothing new, or one left waiting for the budget:
 * the last answer, else the journal's state (which the summary confirmed). */
static void known_status(const batch_be *be, const job *j, backend_status *st)
{
    const status_entry *c = cache_find(be, j->backend_id);
    if (c) {
        *st = c->st;
        return;
    }
    memset(st, 0, sizeof *st);
    st->state = j->state == JOB_PLANNED ? JOB_SUBMITTED : j->state;   /* it has an id */
    st->exit_code = j->state == JOB_SUCCEEDED && j->exit_code < 0 ? 0 : j->exit_code;
}

/* A child of class cls (queued or running) per its array's summary: its last known status
 * when that is of the class already, else the class's state with nothing of the last
 * known status but the creation time (Batch's startedAt comes with a later description:
 * a finished child is always described). */
static void inferred_status(const batch_be *be, const job *j, int cls, backend_status *st)
{
    known_status(be, j, st);
    if (known_class(be, j) == cls)
        return;
    double created = st->created_at;
    memset(st, 0, sizeof *st);
    st->state = cls == BATCH_CLASS_RUNNING ? JOB_RUNNING : JOB_SUBMITTED;
    st->exit_code = -1;
    st->created_at = created;
}

/* Is the array still queued or running? Its children then exist, or are yet to be created
 * (a child DescribeJobs does not know yet is not lost). */
static int array_alive(const batch_job_info *v1, size_t n1, const char *parent)
{
    const batch_job_info *pi = info_find(v1, n1, parent);
    return pi && pi->status < BATCH_SUCCEEDED;
}

/* The two rounds' answers, each sorted by id: plain jobs and parents, then children. */
typedef struct poll_answers {
    batch_job_info *v1, *v2;
    size_t n1, n2;
} poll_answers;

/* One job's status from this poll's answers and what is known. */
static void job_status(const batch_be *be, const job *j, const job_note *nt,
                       const parent_view *p, const poll_answers *a, backend_status *st)
{
    const batch_job_info *ji = NULL;
    if (!p || nt->chosen) {
        ji = p ? info_find(a->v2, a->n2, j->backend_id) : info_find(a->v1, a->n1, j->backend_id);
        if (ji)
            fill_status(ji, st);
        else if (p && array_alive(a->v1, a->n1, p->id))
            known_status(be, j, st);
        else
            unknown_status(j, st);
    } else if (p->inferred >= 0) {
        inferred_status(be, j, p->inferred, st);
    } else {
        known_status(be, j, st);   /* nothing new, or deferred */
    }
}

/* Sets running_since of the running jobs (job_note). now: wall_seconds() of this poll. */
static void note_running(const batch_be *be, job **jobs, job_note *notes,
                         const backend_status *st, size_t n, double now)
{
    for (size_t i = 0; i < n; i++) {
        notes[i].running_since = 0;
        if (st[i].state != JOB_RUNNING)
            continue;
        const status_entry *old = cache_find(be, jobs[i]->backend_id);
        if (st[i].started_at > 0)
            notes[i].running_since = st[i].started_at;
        else if (old && old->st.state == JOB_RUNNING && old->running_since > 0)
            notes[i].running_since = old->running_since;
        else
            notes[i].running_since = now;
    }
}

/* A deferred child may have moved on unseen (even finished: its last checkpoint then ages),
 * so the stall check must not judge it on its stale state until it is described: a running
 * one gets no progress_at (no judgement), a queued one progress_at = now (run_loop's
 * handle_stall takes a queued job's progress_at as a sign of life). */
static void hold_stall_judgement(const job_note *notes, backend_status *st, size_t n,
                                 double now)
{
    for (size_t i = 0; i < n; i++) {
        if (!notes[i].deferred)
            continue;
        if (st[i].state == JOB_RUNNING)
            st[i].progress_at = 0;
        else if (st[i].state == JOB_SUBMITTED)
            st[i].progress_at = now;
    }
}

/* The plain jobs' and array parents' ids (sorted, distinct) into ids; *n_ids of them. */
static void first_round_ids(job **jobs, const job_note *notes, size_t n, const char **ids,
                            size_t *n_ids)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (jobs[i]->backend_id)
            ids[k++] = notes[i].parent ? notes[i].parent : jobs[i]->backend_id;
    if (k)
        qsort(ids, k, sizeof *ids, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(ids[u - 1], ids[i]) != 0)
            ids[u++] = ids[i];
    *n_ids = u;
}

/* ---- progress of running jobs (the stall check) ------------------------------------------ */

char *batch_progress_prefix(const job *j)
{
    char *point = batch_point_url(j);
    if (point || !j->result_url)
        return point;
    size_t n = strlen(j->result_url);
    char *u = malloc(n + 2);
    if (u)
        snprintf(u, n + 2, "%s%s", j->result_url, n && j->result_url[n - 1] == '/' ? "" : "/");
    return u;
}

static void marks_clear(progress_entry *p)
{
    for (size_t i = 0; i < p->n_marks; i++)
        free(p->marks[i].key);
    free(p->marks);
    p->marks = NULL;
    p->n_marks = 0;
}

static void progress_clear(batch_be *be)
{
    for (size_t i = 0; i < be->n_progress; i++) {
        free(be->progress[i].prefix_url);
        marks_clear(&be->progress[i]);
    }
    free(be->progress);
    be->progress = NULL;
    be->n_progress = 0;
}

/* The entry for prefix_url, added (never listed) when missing; NULL when out of memory. */
static progress_entry *progress_entry_for(batch_be *be, const char *prefix_url)
{
    for (size_t i = 0; i < be->n_progress; i++)
        if (strcmp(be->progress[i].prefix_url, prefix_url) == 0)
            return &be->progress[i];
    progress_entry *np = realloc(be->progress, (be->n_progress + 1) * sizeof *np);
    if (!np)
        return NULL;
    be->progress = np;
    progress_entry *p = &np[be->n_progress];
    memset(p, 0, sizeof *p);
    if (!(p->prefix_url = strdup(prefix_url)))
        return NULL;
    be->n_progress++;
    return p;
}

/* Drops the entries of points with no running job left in this poll. */
static void progress_prune(batch_be *be)
{
    size_t k = 0;
    for (size_t i = 0; i < be->n_progress; i++) {
        progress_entry *p = &be->progress[i];
        if (!p->used) {
            free(p->prefix_url);
            marks_clear(p);
            continue;
        }
        p->used = 0;
        be->progress[k++] = *p;
    }
    be->n_progress = k;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int collect_mark(const s3_object_info *o, void *ud)
{
    progress_entry *p = ud;
    double t;
    if (!ends_with(o->key, "timeseries.csv") || !o->last_modified ||
        parse_rfc3339(o->last_modified, &t) != 0)
        return 0;
    ts_mark *nm = realloc(p->marks, (p->n_marks + 1) * sizeof *nm);
    if (!nm)
        return -1;
    p->marks = nm;
    if (!(nm[p->n_marks].key = strdup(o->key)))
        return -1;
    nm[p->n_marks++].modified = t;
    return 0;
}

static int ensure_s3(batch_be *be, aws_error *e)
{
    if (be->s3)
        return 0;
    s3_options opt;
    memset(&opt, 0, sizeof opt);
    opt.session.region = be->cfg->region;
    opt.path_style = -1;
    return s3_client_new(&opt, &be->s3, e);
}

/* One ListObjectsV2 of the point's prefix (every replicate's files); ok says whether the
 * marks can be trusted. A failure is reported here, once per listing, and only stops the
 * stall check of these jobs. */
static void progress_list(batch_be *be, progress_entry *p)
{
    s3_url u;
    aws_error e;
    memset(&e, 0, sizeof e);
    marks_clear(p);
    p->listed_at = mono_seconds();
    p->ok = 0;
    if (s3_url_parse(p->prefix_url, &u) != 0)
        return;
    be->stats.progress_list_calls++;
    if (ensure_s3(be, &e) != 0 || s3_list(be->s3, u.bucket, u.key, collect_mark, p, &e) != 0)
        log_warn("listing %s for the stall check: %s%s%s", p->prefix_url, e.code,
                 e.code[0] ? ": " : "", e.message);
    else
        p->ok = 1;
    s3_url_free(&u);
}

/* When the job's timeseries.csv was last written per the entry's listing; 0 when none. */
static double job_mark(const progress_entry *p, const job *j)
{
    s3_url u;
    if (!j->result_url || s3_url_parse(j->result_url, &u) != 0)
        return 0;
    size_t n = strlen(u.key);
    char *key = malloc(n + 32);
    double t = 0;
    if (key) {
        snprintf(key, n + 32, "%s%stimeseries.csv", u.key,
                 n && u.key[n - 1] != '/' ? "/" : "");
        for (size_t i = 0; i < p->n_marks; i++)
            if (strcmp(p->marks[i].key, key) == 0)
                t = p->marks[i].modified;
    }
    free(key);
    s3_url_free(&u);
    return t;
}

/* Fills progress_at of the running jobs, when the config has a stall_timeout: the newest
 * checkpoint of their timeseries.csv in S3, else running_since (job_note). One listing per
 * running point (an array's replicates share it), at most once per batch_progress_period.
 * Deferred children are left to hold_stall_judgement. */
static void fill_progress(batch_be *be, job **jobs, const job_note *notes, size_t n,
                          backend_status *st)
{
    if (be->cfg->stall_timeout_seconds <= 0)
        return;
    double period = batch_progress_period(be->cfg, be->poll_interval);
    for (size_t i = 0; i < n; i++) {
        if (st[i].state != JOB_RUNNING || notes[i].deferred)
            continue;
        char *prefix = batch_progress_prefix(jobs[i]);
        progress_entry *p = prefix ? progress_entry_for(be, prefix) : NULL;
        free(prefix);
        if (!p)
            continue;   /* no S3 URL to look at: no judgement */
        p->used = 1;
        if (p->listed_at == 0 || mono_seconds() - p->listed_at >= period)
            progress_list(be, p);
        if (!p->ok)
            continue;
        double t = job_mark(p, jobs[i]);
        st[i].progress_at = t > 0 ? t : notes[i].running_since;
    }
    progress_prune(be);
}

/* Per job: its parent (NULL for a plain job) and when it was last described; NULL when
 * out of memory. Freed by notes_free. */
static job_note *notes_new(const batch_be *be, job **jobs, size_t n)
{
    job_note *notes = calloc(n + 1, sizeof *notes);
    for (size_t i = 0; notes && i < n; i++) {
        const status_entry *c = cache_find(be, jobs[i]->backend_id);
        notes[i].described = c ? c->described : 0;
        if (jobs[i]->backend_id && strchr(jobs[i]->backend_id, ':') &&
            !(notes[i].parent = parent_of(jobs[i]->backend_id))) {
            notes_free(notes, i);
            return NULL;
        }
    }
    return notes;
}

/* Up to two rounds of DescribeJobs: the plain jobs and each array's parent (whose status
 * summary counts its children per status), then children, only of the arrays whose summary
 * shows a change the journal would record (children_needed), and not even those when the
 * summary alone tells every polled child's state (batch_summary_infer: all of them queued,
 * or all running). While nothing changes, 1,000 jobs in arrays of 10 cost one call per
 * poll, the first poll of a run included; a poll in which they all start costs one too.
 * (ListJobs by array id and status would list 100 children per call but needs a call per
 * array and status: more calls than DescribeJobs' 100 ids for arrays under ~100.)
 *
 * The second round describes at most CHILD_BUDGET (100) children: one call, so no poll of
 * up to 100 arrays costs more than 2 calls however much changed (AWS throttles DescribeJobs,
 * and a burst of 11 calls every poll would count against the account's rate). The arrays
 * waiting longest go first (batch_pick_children); the other children keep their last known
 * state (known_status) and the poll interval stays at its minimum until the backlog is
 * drained, 100 children per poll. The price is latency, not data: a child finishing is
 * reported final only once described, with its exit code, reason and Batch times (the
 * journal and results.csv need them: queue time, runtime, cost), so 1,000 children that
 * all finished at once are recorded over 10 polls (20 calls instead of 11 in one poll).
 * A deferred child's stall is not judged on its stale state (hold_stall_judgement). */
static int be_poll(backend *b, job **jobs, size_t n, backend_status *st, char *err,
                   size_t errlen)
{
    batch_be *be = b->self;
    if (n == 0 || poll_from_cache(be, jobs, n, st))
        return 0;
    be->polls++;
    job_note *notes = notes_new(be, jobs, n);
    const char **ids = calloc(n + 1, sizeof *ids);
    parent_view *pv = NULL;
    poll_answers a = { 0 };
    size_t n_ids = 0, n_pv = 0;
    aws_error e;
    int rc = -1;
    if (!notes || !ids || !(pv = parent_views(be, jobs, notes, n, &n_pv))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    first_round_ids(jobs, notes, n, ids, &n_ids);
    if (batch_describe_jobs(be->aws, ids, n_ids, &a.v1, &a.n1, &be->stats.describe_calls,
                            &e) != 0)
        goto aws_fail;
    if (a.n1)
        qsort(a.v1, a.n1, sizeof *a.v1, cmp_info_id);
    plan_parents(be, pv, n_pv, a.v1, a.n1);
    if (choose_children(be, jobs, notes, n, pv, n_pv, ids, &n_ids) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (n_ids && batch_describe_jobs(be->aws, ids, n_ids, &a.v2, &a.n2,
                                     &be->stats.describe_calls, &e) != 0)
        goto aws_fail;
    if (a.n2)
        qsort(a.v2, a.n2, sizeof *a.v2, cmp_info_id);
    double now = wall_seconds();
    for (size_t i = 0; i < n; i++) {
        if (notes[i].chosen)
            notes[i].described = be->polls;
        job_status(be, jobs[i], &notes[i], view_find(pv, n_pv, notes[i].parent), &a, &st[i]);
    }
    note_running(be, jobs, notes, st, n, now);
    fill_progress(be, jobs, notes, n, st);
    hold_stall_judgement(notes, st, n, now);
    parents_store(be, a.v1, a.n1, pv, n_pv);
    int changed = cache_store(be, jobs, n, st, notes);
    double longer = be->poll_interval * POLL_GROWTH, most = POLL_MAX_SECONDS;
    /* Polls between the real ones repeat the last progress_at: keep them well within
     * the stall timeout. */
    if (be->cfg->stall_timeout_seconds > 0 && be->cfg->stall_timeout_seconds / 4 < most)
        most = be->cfg->stall_timeout_seconds / 4 < POLL_MIN_SECONDS
                   ? POLL_MIN_SECONDS : be->cfg->stall_timeout_seconds / 4;
    be->poll_interval = changed || backlog_left(pv, n_pv) ? POLL_MIN_SECONDS
                        : longer > most ? most : longer;
    be->next_poll_at = mono_seconds() + be->poll_interval;
    rc = 0;
    goto out;
aws_fail:
    set_err(err, errlen, "DescribeJobs", &e);
out:
    notes_free(notes, n);
    free(ids);
    free(pv);
    batch_job_info_free(a.v1, a.n1);
    batch_job_info_free(a.v2, a.n2);
    return rc;
}

/* ---- cancel, recover, logs ------------------------------------------------------------------- */

static int be_cancel(backend *b, job *j, char *err, size_t errlen)
{
    batch_be *be = b->self;
    if (!j->backend_id)
        return 0;
    aws_error e;
    be->stats.terminate_calls++;
    /* TerminateJob also cancels a job that has not started yet. */
    if (batch_terminate_job(be->aws, j->backend_id, KILL_REASON, &e) != 0) {
        set_err(err, errlen, "TerminateJob", &e);
        return -1;
    }
    be->next_poll_at = 0;   /* the next poll should see it */
    return 0;
}

static int be_recover(backend *b, job *j, char *err, size_t errlen)
{
    batch_be *be = b->self;
    char queue[BATCH_NAME_MAX], filter[BATCH_NAME_MAX];
    batch_queue_name(be->cfg, j->instance_type, queue);
    batch_job_name_filter(be->cfg, filter);
    batch_list_query q = { .job_queue = queue, .name_filter = filter };
    batch_job_summary *v = NULL;
    size_t n = 0;
    aws_error e;
    be->stats.list_calls++;
    if (batch_list_jobs(be->aws, &q, &v, &n, &e) != 0) {
        set_err(err, errlen, "ListJobs", &e);
        batch_job_summary_free(v, n);
        return -1;
    }
    /* The newest submission that covers the journal id wins (a resubmission is newer). */
    const batch_job_summary *best = NULL;
    long long best_first = 0;
    int best_count = 0;
    for (size_t i = 0; i < n; i++) {
        long long first;
        int count;
        /* moto lists array children (ID:N) under the parent's name too; AWS does not. */
        if (strchr(v[i].job_id, ':') ||
            batch_job_name_parse(be->cfg, v[i].job_name, &first, &count) != 0)
            continue;
        if (j->id < first || j->id >= first + count)
            continue;
        if (!best || v[i].created_at > best->created_at) {
            best = &v[i];
            best_first = first;
            best_count = count;
        }
    }
    int rc = 0;
    if (best) {
        char id[256];
        if (best_count > 1)
            snprintf(id, sizeof id, "%s:%lld", best->job_id, j->id - best_first);
        else
            snprintf(id, sizeof id, "%s", best->job_id);
        free(j->backend_id);
        j->backend_id = strdup(id);
        if (!j->backend_id) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    batch_job_summary_free(v, n);
    return rc;
}

static int be_fetch_log(backend *b, const job *j, const char *path, char *err,
                           size_t errlen)
{
    batch_be *be = b->self;
    if (!j->backend_id) {
        snprintf(err, errlen, "job %lld was never submitted: no log", j->id);
        return -1;
    }
    const char *ids[] = { j->backend_id };
    batch_job_info *v = NULL;
    size_t nv = 0;
    aws_error e;
    if (batch_describe_jobs(be->aws, ids, 1, &v, &nv, &be->stats.describe_calls, &e) != 0) {
        set_err(err, errlen, "DescribeJobs", &e);
        batch_job_info_free(v, nv);
        return -1;
    }
    int rc = -1;
    if (nv == 0 || !v[0].log_stream_name) {
        snprintf(err, errlen, "job %s has no CloudWatch log stream", j->backend_id);
    } else {
        const char *group = be->cfg->log_group && *be->cfg->log_group ? be->cfg->log_group
                                                                      : "/aws/batch/job";
        rc = cwl_save_stream_tail(be->aws, group, v[0].log_stream_name, path, &e);
        if (rc != 0)
            set_err(err, errlen, "GetLogEvents", &e);
    }
    batch_job_info_free(v, nv);
    return rc;
}

static void be_destroy(backend *b)
{
    if (!b)
        return;
    batch_be *be = b->self;
    if (be) {
        for (size_t i = 0; i < be->n_defs; i++)
            free(be->defs[i].arn);
        free(be->defs);
        cache_clear(be);
        parents_clear(be);
        progress_clear(be);
        s3_client_free(be->s3);
        aws_session_free(be->aws);
        free(be);
    }
    free(b);
}

static const backend_ops batch_ops = {
    .name = "batch",
    .submit = be_submit,
    .poll = be_poll,
    .cancel = be_cancel,
    .recover = be_recover,
    .fetch_log = be_fetch_log,
    .destroy = be_destroy,
};

void backend_batch_stats(const backend *b, batch_backend_stats *out)
{
    const batch_be *be = b->self;
    *out = be->stats;
}

backend *backend_batch_new(const config *cfg, char *err, size_t errlen)
{
    if (!cfg->image || !*cfg->image) {
        snprintf(err, errlen, "the batch backend needs `image` in the config");
        return NULL;
    }
    if (!cfg->results_url || strncmp(cfg->results_url, "s3://", 5) != 0) {
        snprintf(err, errlen, "the batch backend needs an s3:// `results_url` in the config");
        return NULL;
    }
    backend *b = calloc(1, sizeof *b);
    batch_be *be = calloc(1, sizeof *be);
    if (!b || !be) {
        free(b);
        free(be);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    be->cfg = cfg;
    be->poll_interval = POLL_MIN_SECONDS;
    aws_session_options opt = { .region = cfg->region };
    aws_error e;
    if (aws_session_new(&opt, &be->aws, &e) != 0) {
        set_err(err, errlen, "AWS session", &e);
        free(be);
        free(b);
        return NULL;
    }
    b->ops = &batch_ops;
    b->self = be;
    return b;
}

/* The local backend's container engines: each job is `podman run -d` (or docker) of the
 * config's image, whose ENTRYPOINT is monitor_system, with --cpus/--memory from the job's
 * local profile and the host network (so a local S3 endpoint on loopback is reachable). A
 * local results directory is bind-mounted at the same path. The backend id is the container
 * name, orch-EXPERIMENT-JOBID, so a restarted orchestrator finds its containers again.
 * AWS credentials are passed by name only (-e NAME), so no secret appears on a command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "orchestrator/backend_local.h"
#include "orchestrator/proc_util.h"

static const char *engine_prog(const local_backend *lb)
{
    return lb->cfg->local.engine == LOCAL_ENGINE_DOCKER ? "docker" : "podman";
}

static char *container_name(const job *j)
{
    char *s = NULL;
    return asprintf(&s, "orch-%s-%lld", j->experiment, j->id) < 0 ? NULL : s;
}

typedef struct argl {
    char **v;
    size_t n, cap;
    int oom;
} argl;

static void add(argl *a, const char *s)
{
    if (a->oom)
        return;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        char **nv = realloc(a->v, cap * sizeof *nv);
        if (!nv) {
            a->oom = 1;
            return;
        }
        a->v = nv;
        a->cap = cap;
    }
    if (!(a->v[a->n] = strdup(s))) {
        a->oom = 1;
        return;
    }
    a->v[++a->n] = NULL;
}

static void add_fmt(argl *a, const char *fmt, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    add(a, buf);
}

static void first_line(char *s)
{
    if (s)
        s[strcspn(s, "\n")] = '\0';
}

static const char *const passthrough_env[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_REGION",
};

static int build_run_argv(local_backend *lb, const job *j, const char *name, argl *a)
{
    const config *cfg = lb->cfg;
    const config_local_profile *pf = config_find_profile(cfg, j->instance_type);
    add(a, engine_prog(lb));
    add(a, "run");
    add(a, "-d");
    add(a, "--name");
    add(a, name);
    add(a, "--network");
    add(a, "host");
    char *label = NULL;
    if (asprintf(&label, "orchestrate.experiment=%s", j->experiment) < 0)
        return -1;
    add(a, "--label");
    add(a, label);
    free(label);
    if (pf && pf->cpus > 0) {
        add(a, "--cpus");
        add_fmt(a, "%g", pf->cpus);
    }
    if (pf && pf->memory_bytes > 0) {
        add(a, "--memory");
        add_fmt(a, "%.0f", (double)pf->memory_bytes);
    }
    if (pf && pf->arch) {
        /* --platform, not podman's --arch, which docker does not know. */
        add(a, "--platform");
        add(a, strcmp(pf->arch, "arm64") == 0 ? "linux/arm64" : "linux/amd64");
    }
    if (j->result_url && strncmp(j->result_url, "s3://", 5) != 0) {
        if (mkdir_p(j->result_url) != 0)
            return -1;
        char *vol = NULL;
        if (asprintf(&vol, "%s:%s", j->result_url, j->result_url) < 0)
            return -1;
        add(a, "-v");
        add(a, vol);
        free(vol);
    }
    char **env = local_job_env(lb, j);
    if (!env)
        return -1;
    for (char **e = env; *e; e++) {
        add(a, "-e");
        add(a, *e);
    }
    local_strv_free(env);
    for (size_t i = 0; i < sizeof passthrough_env / sizeof passthrough_env[0]; i++) {
        if (getenv(passthrough_env[i])) {
            add(a, "-e");
            add(a, passthrough_env[i]);   /* the value comes from our environment */
        }
    }
    add(a, cfg->image);
    char **margs = local_monitor_argv(lb, j, NULL);
    if (!margs)
        return -1;
    for (char **m = margs; *m; m++)
        add(a, *m);
    local_strv_free(margs);
    return a->oom ? -1 : 0;
}

int local_container_submit(local_backend *lb, job *j, char *err, size_t errlen)
{
    char *name = container_name(j);
    argl a = {0};
    char *out = NULL, *errout = NULL;
    int rc = -1;
    if (!name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* A resubmission reuses the name: the old container goes first. */
    char *rm[] = {(char *)engine_prog(lb), "rm", "-f", name, NULL};
    char *o2 = NULL, *e2 = NULL;
    proc_capture(rm, &o2, &e2, err, errlen);
    free(o2);
    free(e2);
    if (build_run_argv(lb, j, name, &a) != 0) {
        snprintf(err, errlen, "cannot prepare the container for job %lld: %s", j->id,
                 strerror(errno));
        goto out;
    }
    int st = proc_capture(a.v, &out, &errout, err, errlen);
    if (st != 0) {
        if (st > 0) {
            first_line(errout);
            snprintf(err, errlen, "%s run failed (exit %d): %s", engine_prog(lb), st,
                     errout ? errout : "");
        }
        goto out;
    }
    free(j->backend_id);
    j->backend_id = name;
    name = NULL;
    rc = 0;
out:
    local_strv_free(a.v);
    free(out);
    free(errout);
    free(name);
    return rc;
}

static void parse_state(const char *status, int exit_code, backend_status *st)
{
    if (strcmp(status, "exited") == 0 || strcmp(status, "stopped") == 0 ||
        strcmp(status, "dead") == 0) {
        st->exit_code = exit_code;
        st->state = exit_code == 0 ? JOB_SUCCEEDED : JOB_FAILED;
        if (exit_code != 0)
            snprintf(st->reason, sizeof st->reason, "container exited with %d", exit_code);
    } else if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
               strcmp(status, "stopping") == 0) {
        st->state = JOB_RUNNING;
    } else {
        st->state = JOB_SUBMITTED;   /* created, configured, initialized */
    }
}

int local_container_poll(local_backend *lb, job **jobs, size_t n, backend_status *st,
                         char *err, size_t errlen)
{
    argl a = {0};
    add(&a, engine_prog(lb));
    add(&a, "inspect");
    add(&a, "--type");
    add(&a, "container");
    add(&a, "--format");
    add(&a, "{{.Name}} {{.State.Status}} {{.State.ExitCode}}");
    for (size_t i = 0; i < n; i++) {
        memset(&st[i], 0, sizeof st[i]);
        st[i].exit_code = -1;
        st[i].state = JOB_FAILED;
        snprintf(st[i].reason, sizeof st[i].reason, "container %s is gone",
                 jobs[i]->backend_id ? jobs[i]->backend_id : "?");
        add(&a, jobs[i]->backend_id ? jobs[i]->backend_id : "-");
    }
    if (a.oom) {
        local_strv_free(a.v);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *out = NULL, *errout = NULL;
    int rc = proc_capture(a.v, &out, &errout, err, errlen);
    local_strv_free(a.v);
    if (rc < 0) {
        free(out);
        free(errout);
        return -1;
    }
    /* A missing container makes inspect fail but the others are still printed. */
    for (char *line = out, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char name[256], status[64];
        int code;
        if (sscanf(line, "%255s %63s %d", name, status, &code) != 3)
            continue;
        const char *nm = name[0] == '/' ? name + 1 : name;   /* docker prefixes a '/' */
        for (size_t i = 0; i < n; i++)
            if (jobs[i]->backend_id && strcmp(jobs[i]->backend_id, nm) == 0) {
                st[i].reason[0] = '\0';
                parse_state(status, code, &st[i]);
            }
    }
    free(out);
    free(errout);
    return 0;
}

int local_container_cancel(local_backend *lb, job *j, char *err, size_t errlen)
{
    if (!j->backend_id)
        return 0;
    char *argv[] = {(char *)engine_prog(lb), "stop", "-t", "10", j->backend_id, NULL};
    char *out = NULL, *errout = NULL;
    int rc = proc_capture(argv, &out, &errout, err, errlen);
    if (rc > 0 && errout && !strstr(errout, "no such container")) {
        first_line(errout);
        snprintf(err, errlen, "%s stop %s: %s", engine_prog(lb), j->backend_id, errout);
    }
    free(out);
    free(errout);
    return rc < 0 ? -1 : 0;
}

int local_container_recover(local_backend *lb, job *j, char *err, size_t errlen)
{
    char *name = container_name(j);
    if (!name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *argv[] = {(char *)engine_prog(lb), "inspect", "--type", "container", "--format",
                    "{{.Name}}", name, NULL};
    char *out = NULL, *errout = NULL;
    int rc = proc_capture(argv, &out, &errout, err, errlen);
    free(out);
    free(errout);
    if (rc == 0) {
        free(j->backend_id);
        j->backend_id = name;
        return 0;
    }
    free(name);
    return rc < 0 ? -1 : 0;
}

int local_container_fetch_log(local_backend *lb, const job *j, const char *path, char *err,
                              size_t errlen)
{
    if (!j->backend_id) {
        snprintf(err, errlen, "job %lld has no container", j->id);
        return -1;
    }
    char *argv[] = {(char *)engine_prog(lb), "logs", j->backend_id, NULL};
    char *out = NULL, *errout = NULL;
    int rc = proc_capture(argv, &out, &errout, err, errlen);
    if (rc == 0) {
        size_t lo = strlen(out), le = strlen(errout);
        char *both = malloc(lo + le + 1);
        if (both) {
            memcpy(both, out, lo);
            memcpy(both + lo, errout, le + 1);
            rc = write_file_atomic(path, both, lo + le);
            if (rc != 0)
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
        } else {
            rc = -1;
            snprintf(err, errlen, "out of memory");
        }
        free(both);
    } else if (rc > 0) {
        first_line(errout);
        snprintf(err, errlen, "%s logs %s: %s", engine_prog(lb), j->backend_id,
                 errout ? errout : "");
        rc = -1;
    }
    free(out);
    free(errout);
    return rc;
}

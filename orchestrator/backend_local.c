/* The local backend: jobs run on this machine under monitor_system, as child processes
 * (engine "process", here) or as podman/docker containers (backend_local_container.c).
 *
 * A process job's backend id is "PID:STARTTIME", so a restarted orchestrator re-attaches to
 * jobs that outlived it (they run in their own session, so Ctrl-C on the orchestrator's
 * terminal does not reach them) and never mistakes a reused PID for its job. The child
 * writes that id to WORKDIR/job.pid before it execs, which is how a job whose id never
 * reached the journal is found again (recover). Exit codes of re-attached jobs are not
 * observable (not our children): collect.c takes them from summary.json. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "orchestrator/backend_local.h"
#include "orchestrator/proc_util.h"

extern char **environ;

void local_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

char *local_job_workdir(const local_backend *lb, const job *j)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s/%s/%d", lb->work_root, j->instance_type, j->point_tag,
                 j->replicate) < 0)
        return NULL;
    return s;
}

typedef struct strv {
    char **v;
    size_t n, cap;
    int oom;
} strv;

static void strv_push(strv *s, const char *str)
{
    if (s->oom)
        return;
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        char **nv = realloc(s->v, cap * sizeof *nv);
        if (!nv) {
            s->oom = 1;
            return;
        }
        s->v = nv;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(str))) {
        s->oom = 1;
        return;
    }
    s->v[++s->n] = NULL;
}

static char **strv_finish(strv *s)
{
    if (s->oom || !s->v) {
        local_strv_free(s->v);
        return NULL;
    }
    return s->v;
}

/* Jobs run in their own work directory, so a relative path the config means as its
 * neighbour ("./work.sh", "../data/x") is made absolute when that file exists there. The
 * program itself ("bin/tool") is resolved likewise when it holds a '/'. */
static char *resolve_path_arg(const local_backend *lb, const char *arg, int is_program)
{
    int relative = strncmp(arg, "./", 2) == 0 || strncmp(arg, "../", 3) == 0 ||
                   (is_program && arg[0] != '/' && strchr(arg, '/'));
    if (!relative || !lb->config_dir)
        return strdup(arg);
    char *abs = path_join(lb->config_dir, arg);
    if (abs && (is_program || access(abs, F_OK) == 0))
        return abs;
    free(abs);
    return strdup(arg);
}

char **local_monitor_argv(const local_backend *lb, const job *j, const char *workdir)
{
    const config *cfg = lb->cfg;
    strv s = {0};
    for (size_t i = 0; i < cfg->n_monitor_args; i++)
        strv_push(&s, cfg->monitor_args[i]);
    strv_push(&s, "--result-url");
    strv_push(&s, j->result_url);
    strv_push(&s, "--instance-type");
    strv_push(&s, j->instance_type);
    if (workdir) {
        char *mw = path_join(workdir, "monitor_output");
        strv_push(&s, "--workdir");
        strv_push(&s, mw ? mw : "");
        s.oom |= !mw;
        free(mw);
    }
    strv_push(&s, "--cmd");
    for (char **a = j->argv; a && *a; a++) {
        if (cfg->local.engine == LOCAL_ENGINE_PROCESS) {
            char *prog = resolve_path_arg(lb, *a, a == j->argv);
            strv_push(&s, prog ? prog : "");
            s.oom |= !prog;
            free(prog);
        } else {
            strv_push(&s, *a);
        }
    }
    return strv_finish(&s);
}

static void env_push(strv *s, const char *name, const char *value)
{
    char *kv = NULL;
    if (asprintf(&kv, "%s=%s", name, value ? value : "") < 0) {
        s->oom = 1;
        return;
    }
    strv_push(s, kv);
    free(kv);
}

char **local_job_env(const local_backend *lb, const job *j)
{
    const config *cfg = lb->cfg;
    char rep[32];
    snprintf(rep, sizeof rep, "%d", j->replicate);
    strv s = {0};
    env_push(&s, "MONITOR_RESULT_URL", j->result_url);
    env_push(&s, "MONITOR_INSTANCE_TYPE", j->instance_type);
    env_push(&s, "ORCH_EXPERIMENT", j->experiment);
    env_push(&s, "ORCH_POINT_TAG", j->point_tag);
    env_push(&s, "ORCH_REPLICATE", rep);
    if (cfg->local.s3_endpoint && j->result_url && strncmp(j->result_url, "s3://", 5) == 0)
        env_push(&s, "AWS_ENDPOINT_URL", cfg->local.s3_endpoint);
    if (cfg->region)
        env_push(&s, "AWS_REGION", cfg->region);
    for (size_t i = 0; i < cfg->n_env; i++)
        strv_push(&s, cfg->env[i]);
    for (char **e = j->env; e && *e; e++)
        strv_push(&s, *e);
    return strv_finish(&s);
}

/* environ with `extra` added (an extra NAME replaces the inherited one). */
static char **merged_environ(char **extra)
{
    strv s = {0};
    for (char **e = environ; e && *e; e++) {
        size_t n = strcspn(*e, "=");
        int replaced = 0;
        for (char **x = extra; x && *x && !replaced; x++)
            replaced = strncmp(*x, *e, n) == 0 && (*x)[n] == '=';
        if (!replaced)
            strv_push(&s, *e);
    }
    for (char **x = extra; x && *x; x++)
        strv_push(&s, *x);
    return strv_finish(&s);
}

static void remember_child(local_backend *lb, long long job_id, pid_t pid)
{
    if (lb->n_children == lb->cap_children) {
        size_t cap = lb->cap_children ? lb->cap_children * 2 : 32;
        local_child *nc = realloc(lb->children, cap * sizeof *nc);
        if (!nc)
            return;   /* then it is treated like a re-attached job: still correct */
        lb->children = nc;
        lb->cap_children = cap;
    }
    lb->children[lb->n_children++] = (local_child){.job_id = job_id, .pid = pid};
}

static local_child *find_child(local_backend *lb, pid_t pid)
{
    for (size_t i = 0; i < lb->n_children; i++)
        if (lb->children[i].pid == pid)
            return &lb->children[i];
    return NULL;
}

static int parse_id(const char *id, pid_t *pid, unsigned long long *start)
{
    long p;
    if (!id || sscanf(id, "%ld:%llu", &p, start) != 2 || p <= 0)
        return -1;
    *pid = (pid_t)p;
    return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const char *workdir, const char *logpath, const char *pidpath,
                       char **argv, char **envp)
{
    setsid();
    if (chdir(workdir) != 0)
        _exit(126);
    int in = open("/dev/null", O_RDONLY);
    int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || log < 0)
        _exit(126);
    dup2(in, 0);
    dup2(log, 1);
    dup2(log, 2);
    /* job.pid: "PID:STARTTIME" of this process, read from /proc by the parent's helper
     * logic would need malloc; the start time is read here with plain syscalls. */
    char stat[1024], line[64];
    int fd = open("/proc/self/stat", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, stat, sizeof stat - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        stat[n] = '\0';
        char *p = strrchr(stat, ')');
        for (int field = 2; p && field < 22; field++) {
            p = strchr(p + 1, ' ');
        }
        if (p) {
            int pf = open(pidpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            int len = snprintf(line, sizeof line, "%d:", (int)getpid());
            if (pf >= 0 && len > 0) {
                (void)!write(pf, line, (size_t)len);
                p++;
                (void)!write(pf, p, strcspn(p, " "));
                (void)!write(pf, "\n", 1);
                fsync(pf);
            }
            if (pf >= 0)
                close(pf);
        }
    }
    execve(argv[0], argv, envp);
    dprintf(2, "orchestrate: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int process_submit(local_backend *lb, job *j, char *err, size_t errlen)
{
    const char *monitor = lb->cfg->local.monitor_path;
    if (!monitor) {
        snprintf(err, errlen, "no monitor_system found (use --monitor PATH or MONITOR_SYSTEM)");
        return -1;
    }
    char *workdir = local_job_workdir(lb, j);
    char *logpath = workdir ? path_join(workdir, "monitor.log") : NULL;
    char *pidpath = workdir ? path_join(workdir, "job.pid") : NULL;
    char *custom = workdir ? path_join(workdir, "benchmark_custom.txt") : NULL;
    char **margs = workdir ? local_monitor_argv(lb, j, workdir) : NULL;
    char **extra = local_job_env(lb, j);
    char **envp = extra ? merged_environ(extra) : NULL;
    strv argv = {0};
    int rc = -1;
    if (!workdir || !logpath || !pidpath || !custom || !margs || !extra || !envp) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (mkdir_p(workdir) != 0) {
        snprintf(err, errlen, "%s: %s", workdir, strerror(errno));
        goto out;
    }
    /* A resubmitted job starts clean: no stale pid file or metric from the last attempt. */
    unlink(pidpath);
    unlink(custom);
    strv_push(&argv, monitor);
    for (char **a = margs; *a; a++)
        strv_push(&argv, *a);
    if (argv.oom) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child_exec(workdir, logpath, pidpath, argv.v, envp);
    remember_child(lb, j->id, pid);
    unsigned long long start = proc_start_time(pid);
    free(j->backend_id);
    if (asprintf(&j->backend_id, "%d:%llu", (int)pid, start) < 0) {
        j->backend_id = NULL;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    local_strv_free(argv.v);
    local_strv_free(margs);
    local_strv_free(extra);
    local_strv_free(envp);
    free(workdir);
    free(logpath);
    free(pidpath);
    free(custom);
    return rc;
}

static void status_from_wait(int wstatus, backend_status *st)
{
    if (WIFEXITED(wstatus)) {
        st->exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        st->exit_code = 128 + WTERMSIG(wstatus);
        snprintf(st->reason, sizeof st->reason, "killed by signal %d", WTERMSIG(wstatus));
    }
    st->state = st->exit_code == 0 ? JOB_SUCCEEDED : JOB_FAILED;
}

static double mtime_of(const char *dir, const char *name)
{
    char *path = dir ? path_join(dir, name) : NULL;
    struct stat sb;
    double t = path && stat(path, &sb) == 0
                   ? (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9
                   : 0;
    free(path);
    return t;
}

/* The monitor appends a time-series row every interval: the file's mtime is the job's
 * last sign of life; before the first row, the job's start (its job.pid). */
static double last_progress(const local_backend *lb, const job *j)
{
    char *workdir = local_job_workdir(lb, j);
    double t = mtime_of(workdir, "monitor_output/timeseries.csv");
    if (t == 0)
        t = mtime_of(workdir, "job.pid");
    free(workdir);
    return t;
}

static void process_poll_one(local_backend *lb, job *j, backend_status *st)
{
    pid_t pid;
    unsigned long long start;
    memset(st, 0, sizeof *st);
    st->exit_code = -1;
    if (parse_id(j->backend_id, &pid, &start) != 0) {
        st->state = JOB_FAILED;
        snprintf(st->reason, sizeof st->reason, "unusable backend id \"%s\"",
                 j->backend_id ? j->backend_id : "");
        return;
    }
    local_child *c = find_child(lb, pid);
    if (c && !c->reaped) {
        int ws;
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid) {
            c->reaped = 1;
            c->status = ws;
        } else if (r == 0) {
            st->state = JOB_RUNNING;
            st->progress_at = last_progress(lb, j);
            return;
        }
    }
    if (c && c->reaped) {
        status_from_wait(c->status, st);
        return;
    }
    if (proc_alive(pid, start)) {
        st->state = JOB_RUNNING;
        st->progress_at = last_progress(lb, j);
        return;
    }
    /* Ended while we were not its parent: the exit status is in its summary.json. */
    st->state = JOB_FAILED;
    snprintf(st->reason, sizeof st->reason, "exit status not observed (re-attached job)");
}

static int process_cancel(local_backend *lb, job *j, char *err, size_t errlen)
{
    pid_t pid;
    unsigned long long start;
    if (parse_id(j->backend_id, &pid, &start) != 0)
        return 0;   /* never started: nothing to stop */
    if (!proc_alive(pid, start))
        return 0;
    /* The monitor leads its own session: TERM reaches it, and it forwards to the workload,
     * waits its grace time and writes the summary. */
    if (kill(pid, SIGTERM) != 0 && errno != ESRCH) {
        snprintf(err, errlen, "kill %d: %s", (int)pid, strerror(errno));
        return -1;
    }
    return 0;
}

static int process_recover(local_backend *lb, job *j, char *err, size_t errlen)
{
    char *workdir = local_job_workdir(lb, j);
    char *pidpath = workdir ? path_join(workdir, "job.pid") : NULL;
    char *text = NULL;
    size_t len;
    int rc = 0;
    if (!pidpath) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else if (read_file(pidpath, &text, &len) == 0) {
        pid_t pid;
        unsigned long long start;
        text[strcspn(text, "\n")] = '\0';
        if (parse_id(text, &pid, &start) == 0) {
            free(j->backend_id);
            j->backend_id = strdup(text);
        }
    }
    free(text);
    free(pidpath);
    free(workdir);
    return rc;
}

/* ---- the backend table -------------------------------------------------------------------- */

static int is_container(const local_backend *lb)
{
    return lb->cfg->local.engine != LOCAL_ENGINE_PROCESS;
}

static int local_submit(backend *b, job **jobs, size_t n, size_t *accepted, char *err,
                        size_t errlen)
{
    local_backend *lb = b->self;
    *accepted = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = is_container(lb) ? local_container_submit(lb, jobs[i], err, errlen)
                                  : process_submit(lb, jobs[i], err, errlen);
        if (rc != 0)
            return *accepted > 0 ? 0 : -1;   /* the accepted ones are real: report them */
        (*accepted)++;
    }
    return 0;
}

static int local_poll(backend *b, job **jobs, size_t n, backend_status *st, char *err,
                      size_t errlen)
{
    local_backend *lb = b->self;
    if (is_container(lb))
        return local_container_poll(lb, jobs, n, st, err, errlen);
    for (size_t i = 0; i < n; i++)
        process_poll_one(lb, jobs[i], &st[i]);
    return 0;
}

static int local_cancel(backend *b, job *j, char *err, size_t errlen)
{
    local_backend *lb = b->self;
    return is_container(lb) ? local_container_cancel(lb, j, err, errlen)
                            : process_cancel(lb, j, err, errlen);
}

static int local_recover(backend *b, job *j, char *err, size_t errlen)
{
    local_backend *lb = b->self;
    return is_container(lb) ? local_container_recover(lb, j, err, errlen)
                            : process_recover(lb, j, err, errlen);
}

static int local_fetch_log(backend *b, const job *j, const char *path, char *err,
                           size_t errlen)
{
    local_backend *lb = b->self;
    if (is_container(lb))
        return local_container_fetch_log(lb, j, path, err, errlen);
    char *workdir = local_job_workdir(lb, j);
    char *logpath = workdir ? path_join(workdir, "monitor.log") : NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = -1;
    if (logpath && read_file(logpath, &text, &len) == 0)
        rc = write_file_atomic(path, text, len);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", logpath ? logpath : "monitor.log", strerror(errno));
    free(text);
    free(logpath);
    free(workdir);
    return rc;
}

static void local_destroy(backend *b)
{
    if (!b)
        return;
    local_backend *lb = b->self;
    if (lb) {
        free(lb->work_root);
        free(lb->config_dir);
        free(lb->children);
        free(lb);
    }
    free(b);
}

static const backend_ops local_ops = {
    .name = "local",
    .submit = local_submit,
    .poll = local_poll,
    .cancel = local_cancel,
    .recover = local_recover,
    .fetch_log = local_fetch_log,
    .destroy = local_destroy,
};

backend *backend_local_new(const struct config *cfg, char *err, size_t errlen)
{
    backend *b = calloc(1, sizeof *b);
    local_backend *lb = calloc(1, sizeof *lb);
    if (!b || !lb) {
        free(b);
        free(lb);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->ops = &local_ops;
    b->self = lb;
    lb->cfg = cfg;
    lb->work_root = path_join(cfg->output_dir ? cfg->output_dir : ".", "work");
    if (cfg->source_path) {
        char *copy = strdup(cfg->source_path);
        char *abs = copy ? realpath(dirname(copy), NULL) : NULL;
        lb->config_dir = abs;
        free(copy);
    }
    if (!lb->work_root) {
        local_destroy(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return b;
}

#include "monitor/run.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/batch_array.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "monitor/custom_metric.h"
#include "monitor/instance.h"
#include "monitor/output_tee.h"
#include "monitor/results_sink.h"
#include "monitor/sample_host.h"
#include "monitor/sample_net.h"
#include "monitor/sampler.h"
#include "monitor/series_writer.h"
#include "monitor/spawn.h"
#include "monitor/summary.h"

#define MAX_DESCENDANTS 4096

typedef struct run_state {
    const monitor_options *o;
    pid_t self;
    int is_pid1;
    int sigfd;
    sigset_t handled;
    pid_t child;
    int child_done;
    int child_status;
    sampler smp;
    int sampler_open;
    series_writer *writer;
    output_tee *tee_out, *tee_err;
    results_sink *sink;
    char *workdir;
    char *result_url;             /* owned: the option's, or a Batch array child's */
    double start_mono, start_wall;
    int monitor_signal;           /* first TERM/INT received */
    double kill_deadline;         /* 0: none */
    int killed;
    int write_failed_logged;
} run_state;

static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                                         SIGCONT, SIGWINCH, SIGTSTP, SIGTTIN, SIGTTOU };

/* ---- set-up ------------------------------------------------------------------------ */

/* Every signal the monitor acts on is blocked and read from a signalfd, so none is lost
 * between polls and none interrupts a write; blocked signals also reach PID 1, which the
 * kernel would otherwise spare from signals it has no handler for. */
static int setup_signals(run_state *st)
{
    sigemptyset(&st->handled);
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaddset(&st->handled, forwarded_signals[i]);
    sigaddset(&st->handled, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &st->handled, NULL) < 0)
        return -1;
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not kill the monitor */
    st->sigfd = signalfd(-1, &st->handled, SFD_CLOEXEC | SFD_NONBLOCK);
    return st->sigfd < 0 ? -1 : 0;
}

/* A Batch array child finds its own replicate directory (common/batch_array.h). */
static int resolve_result_url(run_state *st)
{
    const char *url = st->o->result_url;
    char *child_url = NULL;
    int rep;
    int r = batch_array_child(url, getenv("ORCH_ARRAY_REPLICATE_BASE"),
                              getenv("AWS_BATCH_JOB_ARRAY_INDEX"), getenv("AWS_BATCH_JOB_ID"),
                              &child_url, &rep);
    if (r < 0) {
        log_error("ORCH_ARRAY_REPLICATE_BASE is set but the array index or result URL is "
                  "missing or malformed");
        return -1;
    }
    if (r == 1) {
        char num[16];
        snprintf(num, sizeof num, "%d", rep);
        setenv("ORCH_REPLICATE", num, 1);
        st->result_url = child_url;
        return 0;
    }
    st->result_url = url ? strdup(url) : NULL;
    return url && !st->result_url ? -1 : 0;
}

/* Files go to --workdir; without one, straight into a local result directory (so that
 * parallel local jobs sharing a working directory do not collide), else ./monitor_output. */
static int setup_workdir(run_state *st)
{
    const char *wd = st->o->workdir;
    if (!wd && st->result_url && strncmp(st->result_url, "s3://", 5) != 0)
        wd = strncmp(st->result_url, "file://", 7) == 0 ? st->result_url + 7 : st->result_url;
    if (!wd)
        wd = "./monitor_output";
    st->workdir = strdup(wd);
    if (!st->workdir)
        return -1;
    /* one mkdir when the parent exists (the usual case), else every level */
    if (mkdir(st->workdir, 0755) < 0 && errno != EEXIST && mkdir_p(st->workdir) < 0) {
        log_error("cannot create work directory %s: %s", st->workdir, strerror(errno));
        return -1;
    }
    return 0;
}

static int open_outputs(run_state *st, int *child_out, int *child_err)
{
    char *out_path = path_join(st->workdir, "stdout.log");
    char *err_path = path_join(st->workdir, "stderr.log");
    char *ts_path = path_join(st->workdir, series_file_name(st->o->format));
    int rc = -1;
    if (!out_path || !err_path || !ts_path)
        goto done;
    if (output_tee_open(out_path, STDOUT_FILENO, &st->tee_out, child_out) < 0 ||
        output_tee_open(err_path, STDERR_FILENO, &st->tee_err, child_err) < 0) {
        log_error("cannot create the log files in %s: %s", st->workdir, strerror(errno));
        goto done;
    }
    if (series_writer_open(ts_path, st->o->format, &st->smp.layout, &st->writer) < 0) {
        log_error("cannot create %s: %s", ts_path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(out_path);
    free(err_path);
    free(ts_path);
    return rc;
}

/* ---- children and signals ---------------------------------------------------------- */

/* Reaps every child that has exited. Each is first looked at as a zombie (WNOWAIT) so
 * its final I/O totals can still be read from /proc before wait4 takes them away. */
static void reap_all(run_state *st)
{
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        pid_t pid = si.si_pid;
        if (pid <= 0)
            return;
        proc_io_fields io;
        int have_io = st->sampler_open && proc_tree_read_io(st->smp.tree, pid, &io) == 0;
        int status;
        struct rusage ru;
        pid_t got;
        do
            got = wait4(pid, &status, 0, &ru);
        while (got < 0 && errno == EINTR);
        if (got != pid)
            return;
        if (st->sampler_open && pid == gpu_sampler_pid(st->smp.gpu)) {
            gpu_sampler_helper_exited(st->smp.gpu);
            continue;
        }
        if (st->sampler_open && pid == neuron_sampler_pid(st->smp.neuron)) {
            neuron_sampler_helper_exited(st->smp.neuron);
            continue;
        }
        if (st->sampler_open)
            proc_tree_add_reaped(st->smp.tree, &ru, have_io ? &io : NULL);
        if (pid == st->child) {
            st->child_done = 1;
            st->child_status = status;
        }
    }
}

static void send_to_workload(run_state *st, int sig)
{
    if (st->child <= 0 || st->child_done)
        return;
    if (st->o->process_group && kill(-st->child, sig) == 0)
        return;
    kill(st->child, sig);
}

static void handle_signal(run_state *st, int sig)
{
    switch (sig) {
    case SIGCHLD:
        reap_all(st);
        return;
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        /* as dumb-init: pass it on, then stop ourselves so the shell sees a stopped job
         * (PID 1 cannot be stopped from inside its namespace) */
        send_to_workload(st, sig);
        if (!st->is_pid1)
            kill(st->self, SIGSTOP);
        return;
    case SIGTERM: /* what docker stop, ECS and Batch send: the clock for SIGKILL starts */
        if (!st->monitor_signal) {
            st->monitor_signal = sig;
            st->kill_deadline = mono_seconds() + st->o->grace;
            log_info("got %s: passed on to the workload, which has %.1f s to exit",
                     strsignal(sig), st->o->grace);
        }
        send_to_workload(st, sig);
        return;
    default:
        send_to_workload(st, sig);
    }
}

static void drain_signals(run_state *st)
{
    struct signalfd_siginfo si;
    for (;;) {
        ssize_t n = read(st->sigfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof si)
            return;
        handle_signal(st, (int)si.ssi_signo);
    }
}

/* Waits up to `seconds` for a signal, workload output or GPU/Neuron figures, and
 * handles what came. */
static void wait_events(run_state *st, double seconds)
{
    struct pollfd fds[5];
    int n = 0;
    fds[n++] = (struct pollfd){ .fd = st->sigfd, .events = POLLIN };
    int fd_out = st->tee_out ? output_tee_fd(st->tee_out) : -1;
    int fd_err = st->tee_err ? output_tee_fd(st->tee_err) : -1;
    int fd_gpu = st->sampler_open ? gpu_sampler_fd(st->smp.gpu) : -1;
    fds[n++] = (struct pollfd){ .fd = fd_out, .events = POLLIN };
    fds[n++] = (struct pollfd){ .fd = fd_err, .events = POLLIN };
    fds[n++] = (struct pollfd){ .fd = fd_gpu, .events = POLLIN };
    int fd_neuron = st->sampler_open ? neuron_sampler_fd(st->smp.neuron) : -1;
    fds[n++] = (struct pollfd){ .fd = fd_neuron, .events = POLLIN };
    if (seconds < 0)
        seconds = 0;
    struct timespec ts = { (time_t)seconds, (long)((seconds - floor(seconds)) * 1e9) };
    int r = ppoll(fds, (nfds_t)n, &ts, NULL);
    if (r <= 0)
        return;
    if (fds[0].revents)
        drain_signals(st);
    if (fd_out >= 0 && fds[1].revents)
        output_tee_pump(st->tee_out);
    if (fd_err >= 0 && fds[2].revents)
        output_tee_pump(st->tee_err);
    if (fd_gpu >= 0 && fds[3].revents)
        gpu_sampler_pump(st->smp.gpu);
    if (fd_neuron >= 0 && fds[4].revents)
        neuron_sampler_pump(st->smp.neuron);
}

/* ---- sampling and publishing -------------------------------------------------------- */

static void write_sample(run_state *st, int full)
{
    const series_row *row = sampler_take(&st->smp, full);
    if (series_writer_row(st->writer, row) < 0 && !st->write_failed_logged) {
        log_error("cannot write the time series: %s", strerror(errno));
        st->write_failed_logged = 1;
    }
}

static int publish(run_state *st, int final)
{
    const char *names[] = { series_file_name(st->o->format), "stdout.log", "stderr.log",
                            "summary.json" };
    if (!final)
        return results_sink_checkpoint(st->sink, names, 3);
    /* summary.json last: its presence means "complete" */
    return results_sink_publish(st->sink, names, 4, 1);
}

/* ---- the run ------------------------------------------------------------------------ */

static void supervise(run_state *st)
{
    double interval = st->o->interval, cp = st->o->checkpoint;
    double next_sample = st->start_mono + interval;
    double next_cp = cp > 0 ? st->start_mono + cp : INFINITY;
    while (!st->child_done) {
        double now = mono_seconds();
        double wake = fmin(next_sample, next_cp);
        if (st->kill_deadline > 0 && !st->killed)
            wake = fmin(wake, st->kill_deadline);
        wait_events(st, wake - now);
        if (st->child_done)
            break;
        now = mono_seconds();
        if (st->kill_deadline > 0 && !st->killed && now >= st->kill_deadline) {
            log_warn("the workload outlived its %.1f s grace: SIGKILL", st->o->grace);
            send_to_workload(st, SIGKILL);
            st->killed = 1;
        }
        if (now >= next_sample) {
            write_sample(st, 0);
            next_sample += interval;
            if (next_sample <= now) /* fell behind (suspended, slow disk): do not burst */
                next_sample = now + interval;
        }
        if (now >= next_cp) {
            publish(st, 0);
            next_cp = mono_seconds() + cp;
        }
    }
}

/* Descendants still running after the main child exited get SIGTERM, a grace, then
 * SIGKILL; they are reaped here, so their CPU time is counted. */
static void stop_descendants(run_state *st)
{
    static pid_t pids[MAX_DESCENDANTS];
    proc_tree_totals t;
    /* Any survivor's topmost living ancestor is an orphan re-parented to the monitor, so
     * when the monitor's own children file is empty, nothing is left. */
    if (proc_tree_sample(st->smp.tree, &t) < 0)
        return;
    size_t n = proc_tree_pids(st->smp.tree, pids, MAX_DESCENDANTS);
    if (n == 0)
        return;
    proc_tree_rescan(st->smp.tree); /* something is: look everywhere */
    if (proc_tree_sample(st->smp.tree, &t) < 0)
        return;
    n = proc_tree_pids(st->smp.tree, pids, MAX_DESCENDANTS);
    log_info("%zu process(es) left by the workload: SIGTERM", n);
    for (size_t i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    double grace = st->monitor_signal ? fmin(st->o->grace, 2.0) : st->o->grace;
    double deadline = mono_seconds() + grace;
    int killed = 0;
    double give_up = deadline + 5.0;
    while (mono_seconds() < give_up) {
        wait_events(st, 0.02);
        reap_all(st);
        if (proc_tree_sample(st->smp.tree, &t) < 0)
            return;
        n = proc_tree_pids(st->smp.tree, pids, MAX_DESCENDANTS);
        if (n == 0)
            return;
        if (!killed && mono_seconds() >= deadline) {
            log_warn("%zu process(es) outlived the grace: SIGKILL", n);
            for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
            killed = 1;
        }
    }
}

/* What is left in the pipes once every writer is gone (or 1 s, if something outside the
 * tree still holds them). */
static void drain_output(run_state *st)
{
    double until = mono_seconds() + 1.0;
    while (mono_seconds() < until) {
        int a = output_tee_pump(st->tee_out), b = output_tee_pump(st->tee_err);
        if (a == 1 && b == 1)
            return;
        wait_events(st, 0.02);
    }
}

typedef struct outcome {
    const char *status;
    int exit_code, signal, monitor_exit;
} outcome;

static outcome outcome_of(const run_state *st, int start_errno)
{
    outcome oc = { "failed", -1, -1, 1 };
    if (start_errno) {
        oc.status = "not_started";
        oc.exit_code = oc.monitor_exit = exec_errno_status(start_errno);
    } else if (WIFEXITED(st->child_status)) {
        oc.exit_code = oc.monitor_exit = WEXITSTATUS(st->child_status);
        oc.status = oc.exit_code == 0 ? "succeeded" : "failed";
    } else if (WIFSIGNALED(st->child_status)) {
        oc.signal = WTERMSIG(st->child_status);
        oc.status = "signalled";
        oc.monitor_exit = 128 + oc.signal;
    }
    return oc;
}

static int finish(run_state *st, int start_errno, const char *start_error)
{
    double end_wall = wall_seconds(), end_mono = mono_seconds();
    outcome oc = outcome_of(st, start_errno);
    custom_metric cm;
    /* a file older than the run was left by an earlier one (the slack covers file
     * systems whose timestamps come from a clock that ticks every few milliseconds) */
    custom_metric_read(st->o->custom_file, st->start_wall - 0.05, &cm);
    instance_facts inst;
    const sampler *s = &st->smp;
    instance_facts_gather(st->o->instance_type, "/sys/devices/virtual/dmi/id", "/proc",
                          s->host ? host_sampler_mem_total(s->host) : 0, &inst);
    const proc_tree_totals *t = &s->tree_prev;
    uint64_t rx = 0, tx = 0;
    if (s->net)
        net_sampler_totals(s->net, &rx, &tx);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    uint64_t maxrss = (uint64_t)ru.ru_maxrss * 1024; /* one process's peak, a lower bound */
    run_summary sum = {
        .command = st->o->cmd,
        .command_argc = st->o->cmd_argc,
        .status = oc.status,
        .exit_code = oc.exit_code,
        .signal = oc.signal,
        .start_error = start_error,
        .monitor_signal = st->monitor_signal,
        .start_time = st->start_wall,
        .end_time = end_wall,
        .wall_seconds = end_mono - st->start_mono,
        .cpu_user_seconds = t->cpu_user_seconds,
        .cpu_system_seconds = t->cpu_system_seconds,
        .peak_memory_bytes = s->tree_rss_peak > maxrss ? s->tree_rss_peak : maxrss,
        .cgroup_peak_memory_bytes = s->cgroup_peak,
        .disk_read_bytes = t->disk_read_bytes,
        .disk_write_bytes = t->disk_write_bytes,
        .net_rx_bytes = s->have_net_start && rx >= s->net_rx_start ? rx - s->net_rx_start : 0,
        .net_tx_bytes = s->have_net_start && tx >= s->net_tx_start ? tx - s->net_tx_start : 0,
        .oom_kills = s->oom_kills,
        .samples = s->samples,
        .interval_seconds = st->o->interval,
        .cgroup_version = s->cgroup ? cgroup_sampler_version(s->cgroup) : 0,
        .custom = &cm,
        .instance = &inst,
    };
    char *path = path_join(st->workdir, "summary.json");
    if (!path || summary_write(path, &sum) < 0)
        log_error("cannot write summary.json in %s: %s", st->workdir, strerror(errno));
    free(path);
    custom_metric_free(&cm);
    int published = publish(st, 1);
    if (published == 0 && *results_sink_target(st->sink))
        log_debug("results published to %s", results_sink_target(st->sink));
    if (published < 0 && st->o->require_upload)
        return oc.monitor_exit ? oc.monitor_exit : EXIT_UPLOAD_FAILED;
    return oc.monitor_exit;
}

static int start_workload(run_state *st, int child_out, int child_err, int *exec_err)
{
    int keep_closed[] = { st->sigfd, output_tee_fd(st->tee_out), output_tee_fd(st->tee_err) };
    spawn_request req = {
        .argv = st->o->cmd,
        .shell = st->o->shell,
        .own_group = st->o->process_group,
        .stdout_fd = child_out,
        .stderr_fd = child_err,
        .close_fds = keep_closed,
        .n_close_fds = 3,
    };
    st->start_mono = mono_seconds();
    st->start_wall = wall_seconds();
    sampler_start(&st->smp, st->start_mono);
    int rc = spawn_workload(&req, &st->child, exec_err);
    close(child_out);
    close(child_err);
    return rc;
}

static void teardown(run_state *st)
{
    series_writer_close(st->writer);
    output_tee_close(st->tee_out);
    output_tee_close(st->tee_err);
    results_sink_close(st->sink);
    if (st->sampler_open)
        sampler_close(&st->smp);
    if (st->sigfd >= 0)
        close(st->sigfd);
    free(st->workdir);
    free(st->result_url);
}

int monitor_run(const monitor_options *o)
{
    run_state st;
    memset(&st, 0, sizeof st);
    st.o = o;
    st.sigfd = -1;
    st.self = getpid();
    st.is_pid1 = st.self == 1;
    int child_out = -1, child_err = -1;
    if (resolve_result_url(&st) < 0 || setup_workdir(&st) < 0 ||
        results_sink_open(st.result_url, st.workdir, &st.sink) < 0)
        goto fail;
    if (setup_signals(&st) < 0) {
        log_error("cannot set up signal handling: %s", strerror(errno));
        goto fail;
    }
    /* orphans of the workload come back to us, to be reaped and counted */
    if (!st.is_pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_warn("cannot become a child subreaper: %s", strerror(errno));
    if (sampler_open(&st.smp, st.self, o->interval) < 0)
        goto fail;
    st.sampler_open = 1;
    if (open_outputs(&st, &child_out, &child_err) < 0)
        goto fail;

    int exec_err = 0;
    char start_error[512] = "";
    if (start_workload(&st, child_out, child_err, &exec_err) < 0) {
        snprintf(start_error, sizeof start_error, "%s: %s", o->cmd[0], strerror(exec_err));
        log_error("cannot run %s", start_error);
        if (st.child > 0)
            while (!st.child_done && waitpid(st.child, NULL, 0) < 0 && errno == EINTR)
                ;
        st.child_done = 1;
        write_sample(&st, 1);
        drain_output(&st);
    } else {
        write_sample(&st, 1); /* the row at elapsed 0: the baseline */
        supervise(&st);
        stop_descendants(&st);
        reap_all(&st);
        drain_output(&st);
        write_sample(&st, 1); /* the final row, at the workload's exit */
    }
    int code = finish(&st, exec_err, exec_err ? start_error : NULL);
    teardown(&st);
    return code;
fail:
    if (child_out >= 0)
        close(child_out);
    if (child_err >= 0)
        close(child_err);
    teardown(&st);
    return EXIT_MONITOR_ERROR;
}

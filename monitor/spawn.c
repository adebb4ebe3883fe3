#include "monitor/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int exec_errno_status(int err)
{
    return err == ENOENT || err == ENOTDIR || err == ELOOP || err == ENAMETOOLONG ? 127 : 126;
}

/* Undoes in the child what the monitor did to its own signal state: blocked signals and
 * ignored ones survive exec, and a workload must start with the defaults. */
static void reset_signals(void)
{
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        signal(s, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* sh -c STRING sh ARG...: the extra arguments become $1.. The caller frees the array
 * (its strings belong to argv). NULL on out-of-memory. */
static char **shell_argv(char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    char **av = calloc((size_t)n + 4, sizeof *av);
    if (!av)
        return NULL;
    av[0] = "sh";
    av[1] = "-c";
    av[2] = argv[0];
    av[3] = "sh";
    for (int i = 1; i < n; i++)
        av[3 + i] = argv[i];
    return av;
}

/* In the forked child of a -g run on a terminal: its own group, in the foreground. */
static void exec_foreground_child(const spawn_request *req, char **argv, int err_pipe)
{
    reset_signals();
    setpgid(0, 0);
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(STDIN_FILENO, getpid());
    signal(SIGTTOU, SIG_DFL);
    if (req->stdout_fd >= 0 && dup2(req->stdout_fd, STDOUT_FILENO) < 0)
        goto fail;
    if (req->stderr_fd >= 0 && dup2(req->stderr_fd, STDERR_FILENO) < 0)
        goto fail;
    for (int i = 0; i < req->n_close_fds; i++)
        if (req->close_fds[i] > STDERR_FILENO)
            close(req->close_fds[i]);
    execvp(argv[0], argv);
fail:;
    int e = errno;
    ssize_t w = write(err_pipe, &e, sizeof e);
    (void)w;
    _exit(exec_errno_status(e));
}

/* With fork: for -g on a terminal, where the child must make its group the foreground
 * one before it execs (posix_spawn has no such step), so the workload can read the
 * terminal from its first instruction. */
static int spawn_forked(const spawn_request *req, char **argv, pid_t *pid, int *exec_errno)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        *exec_errno = errno;
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        *exec_errno = errno;
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (child == 0) {
        close(p[0]);
        exec_foreground_child(req, argv, p[1]);
    }
    setpgid(child, child); /* both sides, so no signal can race the child's own call */
    close(p[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(p[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(p[0]);
    *pid = child;
    if (r == (ssize_t)sizeof e) {
        *exec_errno = e;
        return -1;
    }
    *exec_errno = 0;
    return 0;
}

/* The child's set-up as posix_spawn attributes and file actions: every signal back to its
 * default and none blocked (ignored ones and the mask survive exec), its own process group
 * with -g, stdout/stderr on the monitor's pipes, the monitor's descriptors closed. */
static int spawn_setup(const spawn_request *req, posix_spawnattr_t *at,
                       posix_spawn_file_actions_t *fa)
{
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (req->own_group)
        flags |= POSIX_SPAWN_SETPGROUP;
    int e = posix_spawnattr_setflags(at, flags);
    if (!e)
        e = posix_spawnattr_setsigdefault(at, &all);
    if (!e)
        e = posix_spawnattr_setsigmask(at, &none);
    if (!e && req->own_group)
        e = posix_spawnattr_setpgroup(at, 0);
    if (!e && req->stdout_fd >= 0)
        e = posix_spawn_file_actions_adddup2(fa, req->stdout_fd, STDOUT_FILENO);
    if (!e && req->stderr_fd >= 0)
        e = posix_spawn_file_actions_adddup2(fa, req->stderr_fd, STDERR_FILENO);
    for (int i = 0; !e && i < req->n_close_fds; i++)
        if (req->close_fds[i] > STDERR_FILENO)
            e = posix_spawn_file_actions_addclose(fa, req->close_fds[i]);
    return e;
}

/* posix_spawn starts the child vfork-style (glibc and musl use CLONE_VM|CLONE_VFORK):
 * no copy of the monitor's page tables and no copy-on-write faults after it, and an exec
 * failure comes back as its errno, the child already reaped. */
static int spawn_posix(const spawn_request *req, char **argv, pid_t *pid, int *exec_errno)
{
    posix_spawnattr_t at;
    posix_spawn_file_actions_t fa;
    int e = posix_spawnattr_init(&at);
    if (e) {
        *exec_errno = e;
        return -1;
    }
    e = posix_spawn_file_actions_init(&fa);
    if (!e) {
        e = spawn_setup(req, &at, &fa);
        if (!e)
            e = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    posix_spawnattr_destroy(&at);
    *exec_errno = e;
    if (e) {
        *pid = -1;
        return -1;
    }
    return 0;
}

int spawn_workload(const spawn_request *req, pid_t *pid, int *exec_errno)
{
    *pid = -1;
    char **sh_argv = NULL, **argv = req->argv;
    if (req->shell) {
        sh_argv = shell_argv(req->argv);
        if (!sh_argv) {
            *exec_errno = ENOMEM;
            return -1;
        }
        argv = sh_argv;
    }
    /* An interactive run keeps the terminal: the workload's new group becomes the
     * foreground one if the monitor's is (decided before the child starts: the
     * parent's setpgid would otherwise race the child's look at its own group). */
    int foreground = req->own_group && isatty(STDIN_FILENO) &&
                     tcgetpgrp(STDIN_FILENO) == getpgrp();
    int rc = foreground ? spawn_forked(req, argv, pid, exec_errno)
                        : spawn_posix(req, argv, pid, exec_errno);
    free(sh_argv);
    return rc;
}

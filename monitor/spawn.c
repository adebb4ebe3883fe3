#include "monitor/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void exec_child(const spawn_request *req, int err_pipe, int foreground)
{
    reset_signals();
    if (req->own_group) {
        setpgid(0, 0);
        if (foreground) {
            signal(SIGTTOU, SIG_IGN);
            tcsetpgrp(STDIN_FILENO, getpid());
            signal(SIGTTOU, SIG_DFL);
        }
    }
    if (req->stdout_fd >= 0 && dup2(req->stdout_fd, STDOUT_FILENO) < 0)
        goto fail;
    if (req->stderr_fd >= 0 && dup2(req->stderr_fd, STDERR_FILENO) < 0)
        goto fail;
    for (int i = 0; i < req->n_close_fds; i++)
        if (req->close_fds[i] > STDERR_FILENO)
            close(req->close_fds[i]);
    if (req->shell) {
        /* sh -c STRING sh ARG...: the extra arguments become $1.. */
        int n = 0;
        while (req->argv[n])
            n++;
        char **av = calloc((size_t)n + 4, sizeof *av);
        if (!av)
            goto fail;
        av[0] = "sh";
        av[1] = "-c";
        av[2] = req->argv[0];
        av[3] = "sh";
        for (int i = 1; i < n; i++)
            av[3 + i] = req->argv[i];
        execvp("sh", av);
    } else {
        execvp(req->argv[0], req->argv);
    }
fail:;
    int e = errno;
    ssize_t w = write(err_pipe, &e, sizeof e);
    (void)w;
    _exit(exec_errno_status(e));
}

int spawn_workload(const spawn_request *req, pid_t *pid, int *exec_errno)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        *exec_errno = errno;
        return -1;
    }
    /* An interactive run keeps the terminal: the workload's new group becomes the
     * foreground one if the monitor's is (decided before the fork: the parent's
     * setpgid below would otherwise race the child's look at its own group). */
    int foreground = req->own_group && isatty(STDIN_FILENO) &&
                     tcgetpgrp(STDIN_FILENO) == getpgrp();
    pid_t child = fork();
    if (child < 0) {
        *exec_errno = errno;
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (child == 0) {
        close(p[0]);
        exec_child(req, p[1], foreground);
    }
    if (req->own_group)
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

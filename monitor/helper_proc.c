#include "monitor/helper_proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int helper_device_present(const char *name)
{
    const char *dir = getenv("MONITOR_DEVICE_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/dev", name);
    return access(path, F_OK) == 0;
}

int helper_find(const char *prog, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n > 0 && n + strlen(prog) + 2 < outlen) {
            snprintf(out, outlen, "%.*s/%s", (int)n, path, prog);
            if (access(out, X_OK) == 0)
                return 0;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return -1;
}

/* In the child: only async-signal-safe calls until exec. */
static void exec_helper(const char *path, char *const argv[], int in_fd, int out_fd)
{
    dup2(out_fd, STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
        dup2(devnull, STDERR_FILENO);
    if (in_fd == 3)
        fcntl(3, F_SETFD, 0); /* already there: only its close-on-exec to clear */
    else if (in_fd >= 0)
        dup2(in_fd, 3);       /* dup2 clears close-on-exec on the copy */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(path, argv);
    _exit(127);
}

pid_t helper_start(const char *path, char *const argv[], int in_fd, int *out_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0)
        exec_helper(path, argv, in_fd, p[1]);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *out_fd = p[0];
    return pid;
}

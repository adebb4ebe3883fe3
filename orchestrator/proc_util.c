/* Process identity via /proc and a small "run and capture" for helper programs. */
#include "orchestrator/proc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/strbuf.h"

unsigned long long proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    char state = p[2];
    if (state == 'Z' || state == 'X')
        return 0;
    p += 2;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

int proc_alive(pid_t pid, unsigned long long start)
{
    return pid > 0 && start != 0 && proc_start_time(pid) == start;
}

static void drain(int fd, strbuf *sb, int *open_flag)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        if (sb_append(sb, buf, (size_t)n) != 0)
            *open_flag = 0;
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        *open_flag = 0;
    }
}

int proc_capture(char *const argv[], char **out, char **errout, char *err, size_t errlen)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(po[0]);
        close(po[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execvp(argv[0], argv);
        dprintf(2, "%s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    strbuf so = STRBUF_INIT, se = STRBUF_INIT;
    int o_open = 1, e_open = 1;
    while (o_open || e_open) {
        struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        if (!o_open)
            fds[0].fd = -1;
        if (!e_open)
            fds[1].fd = -1;
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (o_open && fds[0].revents)
            drain(po[0], &so, &o_open);
        if (e_open && fds[1].revents)
            drain(pe[0], &se, &e_open);
    }
    close(po[0]);
    close(pe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out) {
        sb_reserve(&so, 1);
        *out = so.buf ? sb_detach(&so) : strdup("");
    }
    if (errout) {
        sb_reserve(&se, 1);
        *errout = se.buf ? sb_detach(&se) : strdup("");
    }
    sb_free(&so);
    sb_free(&se);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

#include "monitor/output_tee.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/fileio.h"

struct output_tee {
    int read_fd;
    int echo_fd;
    int log_fd;
    int echo_broken;   /* the monitor's own stream went away: keep logging only */
    char buf[65536];   /* last: not zeroed at open */
};

/* Opens the log for a new run. An empty regular file with no other name, left by an
 * earlier run in the same directory, is used as it is: replacing it would cost ext4 an
 * inode eviction and a creation for nothing. Anything else is replaced, by unlink and
 * create rather than O_TRUNC: ext4 flushes a truncated file's new data when it is closed
 * (its replace-via-truncate heuristic), which costs tens of milliseconds. */
static int open_log(const char *path)
{
    int fd = open_cloexec(path, O_WRONLY | O_APPEND | O_NOFOLLOW, 0);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && st.st_nlink == 1)
            return fd;
        close(fd);
    }
    if (fd >= 0 || errno != ENOENT)
        unlink(path);
    return open_cloexec(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
}

int output_tee_open(const char *log_path, int echo_fd, output_tee **out, int *child_fd)
{
    output_tee *t = malloc(sizeof *t);
    if (!t)
        return -1;
    /* zeroed up to the buffer only: calloc would write, and so fault in, every page of
     * a buffer whose pages are touched only as far as reads fill it */
    memset(t, 0, offsetof(output_tee, buf));
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        free(t);
        return -1;
    }
    t->log_fd = open_log(log_path);
    if (t->log_fd < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        free(t);
        errno = e;
        return -1;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    t->read_fd = p[0];
    t->echo_fd = echo_fd;
    *child_fd = p[1];
    *out = t;
    return 0;
}

int output_tee_fd(const output_tee *t) { return t->read_fd; }

static void write_all(int fd, const char *p, size_t n, int *broken)
{
    while (n && !*broken) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) { /* a non-blocking terminal that is full: drop, not stall */
                return;
            }
            *broken = 1;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

int output_tee_pump(output_tee *t)
{
    if (t->read_fd < 0)
        return 1;
    /* bounded, so a chatty workload cannot starve sampling and signal handling */
    for (int round = 0; round < 16; round++) {
        ssize_t n = read(t->read_fd, t->buf, sizeof t->buf);
        if (n > 0) {
            int log_broken = 0;
            write_all(t->log_fd, t->buf, (size_t)n, &log_broken);
            write_all(t->echo_fd, t->buf, (size_t)n, &t->echo_broken);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        close(t->read_fd); /* EOF, or an error that will not go away */
        t->read_fd = -1;
        return 1;
    }
    return 0;
}

void output_tee_close(output_tee *t)
{
    if (!t)
        return;
    if (t->read_fd >= 0)
        close(t->read_fd);
    if (t->log_fd >= 0)
        close(t->log_fd);
    free(t);
}

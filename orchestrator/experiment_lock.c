/* The experiment's lock file (see experiment_lock.h). */
#include "orchestrator/experiment_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"

/* The PID the current holder wrote into the file, or 0. */
static long holder_of(int fd)
{
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long owner = n > 0 ? strtol(buf, NULL, 10) : 0;
    return owner > 0 ? owner : 0;
}

static void record_pid(int fd, const char *output_dir)
{
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        log_warn("%s/.lock: cannot record the pid", output_dir);
}

int experiment_lock(const char *output_dir, lock_mode mode, int *fd_out, long *owner_out,
                    char *err, size_t errlen)
{
    char *path = path_join(output_dir, ".lock");
    int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    *fd_out = -1;
    *owner_out = 0;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path ? path : output_dir, strerror(errno));
        free(path);
        return -1;
    }
    free(path);
    for (int tries = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; tries++) {
        long owner = holder_of(fd);
        *owner_out = owner ? owner : 1;
        if (mode == LOCK_TRY) {
            close(fd);
            return 0;
        }
        if (mode == LOCK_REFUSE_BUSY) {
            snprintf(err, errlen, "another orchestrate (pid %ld) is running this experiment in %s",
                     owner, output_dir);
            close(fd);
            return -1;
        }
        if (tries == 0 && owner > 0) {
            log_info("stopping the running orchestrate (pid %ld) first", owner);
            kill((pid_t)owner, SIGTERM);
        }
        if (tries > 300) {
            snprintf(err, errlen, "the orchestrate holding %s/.lock did not stop", output_dir);
            close(fd);
            return -1;
        }
        usleep(100000);
    }
    record_pid(fd, output_dir);
    *fd_out = fd;
    *owner_out = 0;
    return 0;
}

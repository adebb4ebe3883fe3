/* Starting the workload: restore in the child the signal state the monitor changed, move
 * it into its own process group when asked (-g), point stdout/stderr at the monitor's
 * pipes and exec the argv (or `sh -c STRING`), searching PATH. posix_spawn does it
 * vfork-style, without copying the monitor's memory map; only -g on a terminal forks, as
 * its child must take the terminal's foreground before it execs. Either way the caller
 * knows "not started" (127: not found, 126: not executable) before it records anything. */
#ifndef MONITOR_SPAWN_H
#define MONITOR_SPAWN_H

#include <sys/types.h>

typedef struct spawn_request {
    char **argv;         /* NULL-terminated */
    int shell;           /* run argv[0] with sh -c; argv[1..] become $1.. */
    int own_group;       /* setpgid(0, 0) in the child */
    int stdout_fd;       /* -1: inherit */
    int stderr_fd;       /* -1: inherit */
    const int *close_fds;  /* the monitor's descriptors the child must not keep */
    int n_close_fds;
} spawn_request;

/* 0 and *pid when the program is running; -1 and *exec_errno when it could not start,
 * with *pid the exited child the caller must still reap, or -1 when there is none. */
int spawn_workload(const spawn_request *req, pid_t *pid, int *exec_errno);

/* The shell's convention: 127 when the command is missing, 126 when it cannot run. */
int exec_errno_status(int err);

#endif

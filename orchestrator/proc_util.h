/* Process helpers for the local backend: process identity that survives PID reuse, and
 * running a helper program (podman, docker) with its output captured. */
#ifndef ORCHESTRATOR_PROC_UTIL_H
#define ORCHESTRATOR_PROC_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* The process's start time in clock ticks since boot (/proc/PID/stat field 22), or 0 when
 * the process does not exist or is a zombie. A PID plus this value names one process. */
unsigned long long proc_start_time(pid_t pid);
/* 1 when PID runs and started at START (not reused), else 0. */
int proc_alive(pid_t pid, unsigned long long start);

/* Runs argv (no shell), stdin from /dev/null, stdout into *out (NUL-terminated, caller frees;
 * may be NULL to discard), stderr into *errout likewise. Returns the exit status (0..255),
 * 128+N for a signal, or -1 when it could not run (err filled). */
int proc_capture(char *const argv[], char **out, char **errout, char *err, size_t errlen);

#endif

/* Helper processes that stream figures the monitor cannot read itself (nvidia-smi,
 * neuron-monitor): finding the tool on PATH, and starting it with its stdout on a
 * non-blocking pipe the monitor polls. */
#ifndef MONITOR_HELPER_PROC_H
#define MONITOR_HELPER_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Whether the device node NAME exists under MONITOR_DEVICE_DIR (default /dev): a helper
 * is looked for on PATH only when its devices are there, so a machine without the
 * hardware pays one access(2), not a PATH walk. */
int helper_device_present(const char *name);

/* Whether PROG is an executable file in a PATH directory (a default PATH when unset);
 * its full path into out. 0 or -1. */
int helper_find(const char *prog, char *out, size_t outlen);

/* Starts PATH with ARGV (NULL-terminated), stdout on a pipe whose non-blocking read end
 * goes to *out_fd, stderr on /dev/null, every signal unblocked. When in_fd >= 0 it
 * becomes the helper's descriptor 3 (a config the helper reads from /proc/self/fd/3).
 * Returns the pid, or -1. The caller reaps the helper and closes *out_fd. */
pid_t helper_start(const char *path, char *const argv[], int in_fd, int *out_fd);

#endif

/* Opening files with as few system calls as the kernel allows. */
#ifndef MONITOR_FILEIO_H
#define MONITOR_FILEIO_H

#include <sys/types.h>

/* open(PATH, FLAGS | O_CLOEXEC, MODE) in one system call. It is openat(AT_FDCWD, ...),
 * because musl's open() follows every O_CLOEXEC open with an fcntl (for kernels older
 * than 2.6.23), one more call for each of the dozens of files the monitor opens.
 * A descriptor, or -1 and errno. */
int open_cloexec(const char *path, int flags, mode_t mode);

/* Writes all of DATA to FD (across short writes and EINTR). 0, or -1 and errno. */
int write_all_fd(int fd, const void *data, size_t len);

#endif

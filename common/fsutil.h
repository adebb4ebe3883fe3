/* Files: read whole, write atomically and durably, make directory trees. */
#ifndef COMMON_FSUTIL_H
#define COMMON_FSUTIL_H

#include <stddef.h>

/* Reads a whole file; *out is NUL-terminated and owned by the caller. 0 or -1 (errno). */
int read_file(const char *path, char **out, size_t *len);
/* Writes to PATH.tmp, fsyncs, renames over PATH, fsyncs the directory: a crash leaves
 * the old or the new content, never a torn file. 0 or -1 (errno). */
int write_file_atomic(const char *path, const void *data, size_t len);
/* mkdir -p with mode 0755. 0 or -1 (errno). */
int mkdir_p(const char *path);
/* Joins a and b with exactly one '/'; caller frees. */
char *path_join(const char *a, const char *b);
int file_exists(const char *path);

#endif

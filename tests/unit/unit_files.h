/* Small file helpers for unit tests that build fixture trees (/proc, cgroup folders) in a
 * temporary directory. Include after tests/unit/unit.h (put() records a failed CHECK). */
#ifndef TESTS_UNIT_FILES_H
#define TESTS_UNIT_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fsutil.h"

/* Writes text to dir/file, replacing its content in place (the same inode, so a sampler
 * that keeps the file open reads the new text). */
static void put(const char *dir, const char *file, const char *text)
{
    char *path = path_join(dir, file);
    FILE *f = path ? fopen(path, "w") : NULL;
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
}

/* Removes dir/file (a missing file is not an error). */
static void rm(const char *dir, const char *file)
{
    char *path = path_join(dir, file);
    if (path)
        unlink(path);
    free(path);
}

#endif

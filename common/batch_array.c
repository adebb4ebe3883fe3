#include "common/batch_array.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole non-negative decimal number that fits an int; -1 otherwise. */
static int parse_index(const char *s)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 1000000000L)
        return -1;
    return (int)v;
}

int batch_array_child(const char *point_url, const char *replicate_base,
                      const char *array_index, const char *job_id, char **url,
                      int *replicate)
{
    if (!replicate_base || !*replicate_base)
        return 0;
    int base = parse_index(replicate_base);
    int index = parse_index(array_index);
    if (index < 0 && job_id) {
        const char *colon = strrchr(job_id, ':');
        index = colon ? parse_index(colon + 1) : -1;
    }
    if (base < 0 || index < 0 || !point_url || !*point_url)
        return -1;
    int rep = base + index;
    size_t len = strlen(point_url);
    const char *sep = point_url[len - 1] == '/' ? "" : "/";
    size_t n = len + 16;
    char *u = malloc(n);
    if (!u)
        return -1;
    snprintf(u, n, "%s%s%d/", point_url, sep, rep);
    *url = u;
    *replicate = rep;
    return 1;
}

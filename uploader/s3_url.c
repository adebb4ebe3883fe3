#include <stdlib.h>
#include <string.h>

#include "uploader/s3.h"

int s3_url_parse(const char *url, s3_url *out)
{
    memset(out, 0, sizeof *out);
    if (!url || strncmp(url, "s3://", 5) != 0)
        return -1;
    const char *b = url + 5;
    size_t bl = strcspn(b, "/");
    if (bl == 0 || bl > 255)
        return -1;
    out->bucket = strndup(b, bl);
    out->key = strdup(b[bl] == '/' ? b + bl + 1 : "");
    if (!out->bucket || !out->key) {
        s3_url_free(out);
        return -1;
    }
    return 0;
}

void s3_url_free(s3_url *u)
{
    free(u->bucket);
    free(u->key);
    memset(u, 0, sizeof *u);
}

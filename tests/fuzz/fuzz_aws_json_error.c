/* libFuzzer target: JSON error bodies of the AWS JSON APIs (Batch, Logs) and the error
 * reporting built on them. No crash, no leak, fields always NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uploader/aws_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char code[64], msg[128];
    if (aws_error_parse_json(body, size, code, sizeof code, msg, sizeof msg) == 0) {
        if (strnlen(code, sizeof code) == sizeof code || strnlen(msg, sizeof msg) == sizeof msg)
            abort();
        if (!code[0] && size > 0 && memchr(body, '#', size) == NULL && memchr(body, ':', size) == NULL)
            abort();
    }
    aws_error err;
    aws_error_from_response(&err, "PUT s3://bucket/key", 400, body, size);
    if (strnlen(err.message, sizeof err.message) == sizeof err.message ||
        strnlen(err.code, sizeof err.code) == sizeof err.code)
        abort();
    return 0;
}

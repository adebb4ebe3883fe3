/* Filling an aws_error from a failed response: the AWS error code and message from a JSON
 * body ({"__type": "...#Code", "message": ...}) or an XML one (S3, STS, EC2), else from the
 * status alone; and from transport failures. Messages never include credentials. */
#ifndef UPLOADER_AWS_ERROR_H
#define UPLOADER_AWS_ERROR_H

#include <stddef.h>

#include "uploader/aws.h"

/* Extracts code and message from a JSON error body; 0 when a code was found. */
int aws_error_parse_json(const char *body, size_t len, char *code, size_t code_cap,
                         char *message, size_t message_cap);

/* Fills err for an HTTP response: status, code and message (prefixed with `what`, e.g.
 * "PUT s3://bucket/key"). */
void aws_error_from_response(aws_error *err, const char *what, long status, const char *body,
                             size_t len);
/* Fills err for a transport failure (no HTTP response). */
void aws_error_from_transport(aws_error *err, const char *what, const char *detail);
/* printf-style message with no status or code. */
void aws_error_set(aws_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

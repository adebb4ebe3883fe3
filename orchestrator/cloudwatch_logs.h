/* CloudWatch Logs GetLogEvents (JSON 1.1 protocol): the tail of a job's log stream, saved
 * beside its results as batch.log when the job failed.
 *
 * Ownership: the strbuf is the caller's; built request bodies are freed by the caller. */
#ifndef ORCHESTRATOR_CLOUDWATCH_LOGS_H
#define ORCHESTRATOR_CLOUDWATCH_LOGS_H

#include <stddef.h>

#include "common/strbuf.h"
#include "uploader/aws.h"

/* The request for the newest events of a stream (startFromHead false), or NULL (ENOMEM). */
char *cwl_build_get_log_events(const char *group, const char *stream, int limit,
                               const char *next_token);
/* Appends "2026-11-23T04:23:33.123Z message\n" per event to out; *n_events says how many.
 * 0 or -1 (not a GetLogEvents response, or ENOMEM). */
int cwl_parse_log_events(const char *body, strbuf *out, size_t *n_events);
/* Writes the stream's last events (at most one page: 10,000 events or 1 MB, the service's
 * limit) to path atomically. 0, or -1 with err filled. */
int cwl_save_stream_tail(aws_session *s, const char *group, const char *stream,
                         const char *path, aws_error *err);

#endif

/* Where results end up: files are always written to the work directory first, then
 * copied to a local result directory or uploaded to s3://BUCKET/PREFIX/ (uploader/s3.h).
 * A checkpoint publishes the partial files; the final publish sends all of them. A failed
 * upload leaves the files on disk and is logged once, here, with the reason.
 *
 * Ownership: results_sink_open() allocates, results_sink_close() frees (and the S3
 * client, which is made on first use so a run that never publishes pays nothing). */
#ifndef MONITOR_RESULTS_SINK_H
#define MONITOR_RESULTS_SINK_H

#include <stddef.h>

typedef struct results_sink results_sink;

/* url: "s3://bucket/prefix/", "file:///dir", a local directory, or NULL (files stay in
 * workdir). 0, or -1 when the URL is malformed (reported). */
int  results_sink_open(const char *url, const char *workdir, results_sink **out);
/* Copies or uploads workdir/NAME for each name. 0 when all arrived, else -1. Failures
 * are logged as errors once per streak of failing checkpoints, and always at the final
 * publish, so an unreachable bucket does not flood the log every checkpoint. */
int  results_sink_publish(results_sink *s, const char *const *names, size_t n, int final);
/* A checkpoint: like a non-final publish, but an S3 upload runs on a thread of its own
 * from a snapshot of the files, so sampling and signal handling never wait for the
 * network; while one is still running, the next checkpoint is skipped. A later publish
 * or close waits for it. 0, or -1 when it could not start. */
int  results_sink_checkpoint(results_sink *s, const char *const *names, size_t n);
/* A description for logs: "s3://b/p/", "/dir", or "" when there is nowhere to send. */
const char *results_sink_target(const results_sink *s);
int  results_sink_is_local_dir(const results_sink *s);
void results_sink_close(results_sink *s);

/* Whether two paths name the same directory (both must exist). */
int same_directory(const char *a, const char *b);

#endif

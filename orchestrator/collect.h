/* Collecting a finished job: its result directory (timeseries.csv, summary.json, stdout.log,
 * stderr.log) is copied from a local directory or downloaded from S3 (uploader/s3.h) into
 * OUTPUT/runs/TYPE/TAG/REPLICATE/, and summary.json is parsed into a journal_result.
 *
 * Ownership: collector_new() allocates (the S3 client is made on first use), collector_free()
 * frees. The config is borrowed and must outlive the collector. */
#ifndef ORCHESTRATOR_COLLECT_H
#define ORCHESTRATOR_COLLECT_H

#include <stddef.h>

#include "orchestrator/config.h"
#include "orchestrator/journal.h"

typedef struct collector collector;

collector *collector_new(const config *cfg, const char *output_dir, char *err, size_t errlen);
void collector_free(collector *c);

/* Fetches the job's files and fills r (journal_result_init first). Returns 0 when a
 * summary.json was found and parsed, 1 when the job left no summary (r has result_dir and
 * whatever else was found), -1 on an error (err). */
int collector_fetch(collector *c, const journal_job *jj, journal_result *r, char *err,
                    size_t errlen);

/* One job to fetch with collector_fetch_all(): rc and r are collector_fetch()'s result. */
typedef struct collect_item {
    const journal_job *jj;    /* borrowed */
    journal_result r;         /* filled; the caller frees with journal_result_free() */
    int rc;
    char err[512];
} collect_item;

/* Fetches many jobs at once: up to `threads` transfers in parallel, each thread with its
 * own S3 client (GETs of different jobs overlap; the journal is not touched here). */
void collector_fetch_all(collector *c, collect_item *items, size_t n, int threads);

/* "runs/TYPE/TAG/REP" (relative to the output dir); caller frees. */
char *collect_run_dir(const journal_job *jj);

/* Parses a summary.json document into r (fields not present stay NAN/-1/NULL). 0 or -1
 * (not a JSON object: err). Used by collector_fetch and the fuzz target. */
int collect_parse_summary(const char *text, size_t len, journal_result *r, char *err,
                          size_t errlen);

#endif

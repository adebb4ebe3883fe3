/* The experiment's tables, rebuilt from the journal: OUTPUT/results.csv (one row per job),
 * OUTPUT/summary.csv (one row per instance type and point) and OUTPUT/ec2data.csv (the older
 * tool's columns, so its notebooks keep working). Columns: see the shared contract in
 * man/orchestrate.1; an empty field means "not available" (never 0 for a missing price). */
#ifndef ORCHESTRATOR_RESULTS_CSV_H
#define ORCHESTRATOR_RESULTS_CSV_H

#include <stddef.h>

#include "orchestrator/config.h"
#include "orchestrator/journal.h"
#include "orchestrator/prices.h"

/* Writes the three files atomically. pb may be NULL (no prices: empty cost fields).
 * 0 or -1 with err. */
int results_write(journal *jn, long long exp_id, const config *cfg, const price_book *pb,
                  const char *output_dir, char *err, size_t errlen);

/* Appends one CSV field to sb, quoted when it holds a comma, quote or line break. */
struct strbuf;
int csv_put_field(struct strbuf *sb, const char *field);

#endif

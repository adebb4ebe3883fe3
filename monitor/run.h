/* One monitored run, start to finish: set up the work directory, signals and samplers,
 * start the workload, sample and forward signals until it exits, clean up what it left
 * running, then write the summary and publish the results. */
#ifndef MONITOR_RUN_H
#define MONITOR_RUN_H

#include "monitor/options.h"

/* Exit statuses of the monitor beyond the workload's own. */
#define EXIT_MONITOR_ERROR 125   /* the monitor could not set itself up */
#define EXIT_UPLOAD_FAILED 75    /* --require-upload and the final publish failed */

/* Returns the status monitor_system exits with: the workload's, 128+N when it died of
 * signal N, 127/126 when it could not start. */
int monitor_run(const monitor_options *o);

#endif

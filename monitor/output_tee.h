/* The workload's stdout or stderr: read from a pipe and written both to the monitor's
 * own stream (so `docker logs`/CloudWatch still see it) and to a log file in the work
 * directory (stdout.log, stderr.log). A closed or full terminal on the monitor's side
 * never blocks the workload: the copy to the log file always happens.
 *
 * Ownership: output_tee_open() allocates, output_tee_close() frees and closes. */
#ifndef MONITOR_OUTPUT_TEE_H
#define MONITOR_OUTPUT_TEE_H

typedef struct output_tee output_tee;

/* Makes the pipe; *child_fd is the end the workload writes (the caller closes it after
 * the fork). echo_fd: the monitor's own stream (1 or 2). 0 or -1. */
int  output_tee_open(const char *log_path, int echo_fd, output_tee **out, int *child_fd);
int  output_tee_fd(const output_tee *t);          /* the end to poll; -1 after EOF */
/* Copies what is readable now; 0, or 1 at end of file. */
int  output_tee_pump(output_tee *t);
void output_tee_close(output_tee *t);

#endif

/* monitor_system's command line: the new long options, the older Python monitor's flags
 * (-s3, -id, -cf) and the environment defaults (MONITOR_RESULT_URL, MONITOR_WORKDIR,
 * MONITOR_INSTANCE_TYPE).
 *
 * Ownership: every string in monitor_options points either into argv, into the
 * environment or into storage owned by the struct (owned_*); monitor_options_free()
 * releases the latter. */
#ifndef MONITOR_OPTIONS_H
#define MONITOR_OPTIONS_H

#include <stddef.h>

enum series_format { FORMAT_CSV = 0, FORMAT_JSONL = 1, FORMAT_OPENMETRICS = 2 };

typedef struct monitor_options {
    char **cmd;                 /* NULL-terminated argv of the workload (into argv) */
    int cmd_argc;
    int shell;                  /* run cmd[0] with sh -c */
    int process_group;          /* -g: child in its own process group, signals go there */
    double interval;            /* seconds between samples, >= 0.01 */
    double checkpoint;          /* seconds between partial uploads; 0: none */
    double grace;               /* seconds between SIGTERM and SIGKILL */
    const char *result_url;     /* s3://bucket/prefix/ or a local directory; NULL: none */
    const char *workdir;        /* where files are written first */
    const char *custom_file;    /* benchmark_custom.txt */
    const char *instance_type;  /* NULL: detect */
    enum series_format format;
    int require_upload;
    int verbosity;              /* -1 quiet, 0 normal, 1 verbose */
    char *owned_result_url;     /* built from -s3/-id */
} monitor_options;

/* Parses argv (argv[0] is the program). Returns 0 when the workload should run, 1 when
 * --help/--version was printed (exit 0), -1 on a usage error (already reported; exit 2). */
int  monitor_options_parse(int argc, char **argv, monitor_options *out);
void monitor_options_free(monitor_options *o);
void monitor_print_usage(void);

#endif

/* monitor_system: runs a workload as a well-behaved PID 1 (or subreaper), samples what it
 * uses, and leaves timeseries.csv, summary.json and its logs in S3 or a directory. See
 * man/monitor_system.1. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "common/log.h"
#include "monitor/options.h"
#include "monitor/run.h"

#include "uploader/s3_cli.h"

/* A process started with stdin/stdout/stderr closed would hand those numbers to the
 * first files it opens, and the workload's output would land in them. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (n >= 0 && n != fd) {
            dup2(n, fd);
            close(n);
        }
    }
}

int main(int argc, char **argv)
{
    ensure_std_fds();
    log_init("monitor_system", LOG_INFO);
    if (argc >= 2 && strcmp(argv[1], "upload") == 0)
        return s3_cli_upload(argc - 1, argv + 1);
    /* `monitor_system s3 cp|ls ...`: the S3 client for workloads in FROM scratch images,
     * where monitor_system is the only program that speaks S3 (examples/s3_download). */
    if (argc >= 2 && strcmp(argv[1], "s3") == 0)
        return s3_cli_main(argc - 1, argv + 1);
    monitor_options o;
    int r = monitor_options_parse(argc, argv, &o);
    if (r != 0) {
        monitor_options_free(&o);
        return r > 0 ? 0 : 2;
    }
    if (o.verbosity < 0)
        log_init("monitor_system", LOG_WARN);
    else if (o.verbosity > 0)
        log_init("monitor_system", LOG_DEBUG);
    int code = monitor_run(&o);
    monitor_options_free(&o);
    return code;
}

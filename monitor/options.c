#include "monitor/options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#ifndef MONITOR_VERSION
#define MONITOR_VERSION "0.0.0"
#endif

void monitor_print_usage(void)
{
    fputs("usage: monitor_system [options] --cmd PROG [ARG...]\n"
          "       monitor_system upload FILE... s3://BUCKET/PREFIX/\n"
          "\n"
          "  --result-url URL          s3://BUCKET/PREFIX/ or a local directory\n"
          "                            (env MONITOR_RESULT_URL)\n"
          "  -s3 BUCKET, -id ID        old form of --result-url s3://BUCKET/ID/\n"
          "  --workdir DIR             where files are written first (env MONITOR_WORKDIR;\n"
          "                            default: a local result directory, else ./monitor_output)\n"
          "  --output-dir DIR          same as --workdir\n"
          "  -cf, --custom-metric-file, --custom-file FILE\n"
          "                            custom metric file (default ./benchmark_custom.txt)\n"
          "  --interval SEC            seconds between samples (default 1, min 0.01)\n"
          "  --checkpoint SEC          re-upload partial results every SEC seconds\n"
          "  --grace SEC               SIGTERM-to-SIGKILL grace for the workload (default 10)\n"
          "  --format csv|jsonl|openmetrics   time-series format (default csv)\n"
          "  --require-upload          exit non-zero when the final upload fails\n"
          "  --instance-type T         instance type (env MONITOR_INSTANCE_TYPE)\n"
          "  --shell                   run the command string with sh -c\n"
          "  -g                        run the workload in its own process group and signal it\n"
          "  --quiet, --verbose        less or more logging\n"
          "  --help, --version\n",
          stdout);
}

/* Parses a positive number of seconds; -1 when it is not one. */
static int parse_seconds(const char *opt, const char *s, double min, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min) {
        log_error("%s: '%s' is not a number of seconds >= %g", opt, s, min);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_format(const char *s, enum series_format *out)
{
    if (strcmp(s, "csv") == 0)
        *out = FORMAT_CSV;
    else if (strcmp(s, "jsonl") == 0)
        *out = FORMAT_JSONL;
    else if (strcmp(s, "openmetrics") == 0)
        *out = FORMAT_OPENMETRICS;
    else {
        log_error("--format: '%s' is not csv, jsonl or openmetrics", s);
        return -1;
    }
    return 0;
}

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Options that take a value: the name as given, and a pointer to the value. "--x=v" and
 * "--x v" are both accepted. Returns the value, or NULL (reported) when it is missing. */
static const char *take_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (*i + 1 >= argc) {
        log_error("%s needs a value", name);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

static int is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || (arg[n] == '=' && name[1] == '-'));
}

static void set_defaults(monitor_options *o)
{
    memset(o, 0, sizeof *o);
    o->interval = 1.0;
    o->grace = 10.0;
    o->custom_file = "./benchmark_custom.txt";
    o->result_url = env_or_null("MONITOR_RESULT_URL");
    o->workdir = env_or_null("MONITOR_WORKDIR");
    o->instance_type = env_or_null("MONITOR_INSTANCE_TYPE");
}

/* -s3 BUCKET [-id ID] make s3://BUCKET/ID/, as the older Python monitor did. */
static int build_legacy_url(monitor_options *o, const char *bucket, const char *id)
{
    if (!bucket) {
        if (id)
            log_warn("-id %s given without -s3: ignored", id);
        return 0;
    }
    size_t n = strlen(bucket) + (id ? strlen(id) : 0) + 8;
    o->owned_result_url = malloc(n);
    if (!o->owned_result_url)
        return -1;
    if (id && *id)
        snprintf(o->owned_result_url, n, "s3://%s/%s/", bucket, id);
    else
        snprintf(o->owned_result_url, n, "s3://%s/", bucket);
    o->result_url = o->owned_result_url;
    return 0;
}

static int parse_one(int argc, char **argv, int *i, monitor_options *o, const char **bucket,
                     const char **id)
{
    const char *a = argv[*i], *v;
#define VALUE(name) (v = take_value(argc, argv, i, name)) != NULL
    if (is_opt(a, "--result-url"))
        return VALUE("--result-url") ? (o->result_url = v, 0) : -1;
    if (strcmp(a, "-s3") == 0 || is_opt(a, "--s3"))
        return VALUE(a[1] == '-' ? "--s3" : "-s3") ? (*bucket = v, 0) : -1;
    if (strcmp(a, "-id") == 0 || is_opt(a, "--id"))
        return VALUE(a[1] == '-' ? "--id" : "-id") ? (*id = v, 0) : -1;
    if (strcmp(a, "-cf") == 0)
        return VALUE("-cf") ? (o->custom_file = v, 0) : -1;
    if (is_opt(a, "--custom-metric-file"))
        return VALUE("--custom-metric-file") ? (o->custom_file = v, 0) : -1;
    if (is_opt(a, "--custom-file"))
        return VALUE("--custom-file") ? (o->custom_file = v, 0) : -1;
    if (is_opt(a, "--workdir"))
        return VALUE("--workdir") ? (o->workdir = v, 0) : -1;
    if (is_opt(a, "--output-dir"))
        return VALUE("--output-dir") ? (o->workdir = v, 0) : -1;
    if (is_opt(a, "--instance-type"))
        return VALUE("--instance-type") ? (o->instance_type = v, 0) : -1;
    if (is_opt(a, "--interval"))
        return VALUE("--interval") ? parse_seconds("--interval", v, 0.01, &o->interval) : -1;
    if (is_opt(a, "--checkpoint"))
        return VALUE("--checkpoint") ? parse_seconds("--checkpoint", v, 0, &o->checkpoint) : -1;
    if (is_opt(a, "--grace"))
        return VALUE("--grace") ? parse_seconds("--grace", v, 0, &o->grace) : -1;
    if (is_opt(a, "--format"))
        return VALUE("--format") ? parse_format(v, &o->format) : -1;
#undef VALUE
    if (strcmp(a, "--shell") == 0)
        o->shell = 1;
    else if (strcmp(a, "-g") == 0)
        o->process_group = 1;
    else if (strcmp(a, "--require-upload") == 0)
        o->require_upload = 1;
    else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
        o->verbosity = -1;
    else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
        o->verbosity = 1;
    else {
        log_error("unknown option '%s' (see --help)", a);
        return -1;
    }
    return 0;
}

int monitor_options_parse(int argc, char **argv, monitor_options *o)
{
    set_defaults(o);
    const char *bucket = NULL, *id = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            monitor_print_usage();
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("monitor_system %s\n", MONITOR_VERSION);
            return 1;
        }
        /* Everything after --cmd belongs to the workload, even what looks like options. */
        if (strcmp(a, "--cmd") == 0 || strcmp(a, "-cmd") == 0 || strcmp(a, "--") == 0) {
            o->cmd = argv + i + 1;
            o->cmd_argc = argc - i - 1;
            break;
        }
        if (parse_one(argc, argv, &i, o, &bucket, &id) < 0)
            return -1;
    }
    if (!o->cmd || o->cmd_argc == 0) {
        log_error("no command: give it after --cmd (see --help)");
        return -1;
    }
    if (o->shell && o->cmd_argc < 1)
        return -1;
    if (build_legacy_url(o, bucket, id) < 0) {
        log_error("out of memory");
        return -1;
    }
    return 0;
}

void monitor_options_free(monitor_options *o)
{
    free(o->owned_result_url);
    o->owned_result_url = NULL;
}

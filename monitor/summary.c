#include "monitor/summary.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "monitor/fileio.h"
#include "monitor/json_out.h"

#ifndef MONITOR_VERSION
#define MONITOR_VERSION "0.0.0"
#endif

/* An empty string is as good as none: null. */
static const char *str_or_null(const char *s) { return s && *s ? s : NULL; }

static void int_or_null(json_out *j, const char *key, long long v)
{
    if (v >= 0)
        json_out_int(j, key, v);
    else
        json_out_null(j, key);
}

static void time_string(json_out *j, const char *key, double epoch)
{
    char buf[32];
    format_rfc3339_ms(epoch, buf, sizeof buf);
    json_out_string(j, key, buf);
}

static void command_array(json_out *j, const run_summary *s)
{
    json_out_open(j, "command", '[');
    for (int i = 0; i < s->command_argc; i++)
        json_out_string(j, NULL, s->command[i]);
    json_out_close(j);
}

static void instance_object(json_out *j, const instance_facts *f)
{
    json_out_open(j, "instance", '{');
    json_out_string(j, "type", str_or_null(f->type));
    json_out_string(j, "type_source", str_or_null(f->type_source));
    if (f->vcpus > 0)
        json_out_int(j, "vcpus", f->vcpus);
    else
        json_out_null(j, "vcpus");
    json_out_int(j, "memory_bytes", (long long)f->memory_bytes);
    json_out_string(j, "cpu_model", str_or_null(f->cpu_model));
    json_out_string(j, "architecture", str_or_null(f->architecture));
    json_out_close(j);
}

/* Who ran this job: the orchestrator's variables and AWS Batch/ECS identity. */
static void job_object(json_out *j)
{
    static const char *const keys[][2] = {
        { "experiment", "ORCH_EXPERIMENT" },
        { "point_tag", "ORCH_POINT_TAG" },
        { "replicate", "ORCH_REPLICATE" },
        { "aws_batch_job_id", "AWS_BATCH_JOB_ID" },
        { "aws_batch_job_array_index", "AWS_BATCH_JOB_ARRAY_INDEX" },
        { "ecs_container_metadata_uri", "ECS_CONTAINER_METADATA_URI_V4" },
    };
    json_out_open(j, "job", '{');
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_out_string(j, keys[i][0], str_or_null(getenv(keys[i][1])));
    json_out_close(j);
}

static void custom_metrics_object(json_out *j, const custom_metric *m)
{
    json_out_open(j, "custom_metrics", '{');
    for (size_t i = 0; m && i < m->n_named; i++)
        json_out_real(j, m->named[i].name, m->named[i].value);
    json_out_close(j);
}

/* Writes PATH.tmp and renames it to PATH: readers see a whole file or none. No
 * fsync: the file is published (copied or uploaded) right after, and in a container the
 * local disk does not outlive the job anyway; an fsync would cost milliseconds per run. */
static int write_replace(const char *path, const char *data, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (!tmp)
        return -1;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    int fd = open_cloexec(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = -1;
    if (fd >= 0) {
        int w = write_all_fd(fd, data, len);
        /* renaming over an existing file makes ext4 flush the new one first (its
         * replace-via-rename heuristic): remove the old summary, then rename */
        if (close(fd) == 0 && w == 0) {
            unlink(path);
            rc = rename(tmp, path);
        }
        if (rc < 0)
            unlink(tmp);
    }
    int e = errno;
    free(tmp);
    errno = e;
    return rc;
}

static void run_members(json_out *j, const run_summary *s)
{
    json_out_string(j, "monitor_version", MONITOR_VERSION);
    command_array(j, s);
    json_out_string(j, "status", s->status);
    int_or_null(j, "exit_code", s->exit_code);
    int_or_null(j, "signal", s->signal);
    json_out_string(j, "start_error", str_or_null(s->start_error));
    int_or_null(j, "monitor_signal", s->monitor_signal > 0 ? s->monitor_signal : -1);
    time_string(j, "start_time", s->start_time);
    time_string(j, "end_time", s->end_time);
    json_out_real(j, "wall_seconds", s->wall_seconds);
    json_out_real(j, "cpu_user_seconds", s->cpu_user_seconds);
    json_out_real(j, "cpu_system_seconds", s->cpu_system_seconds);
    json_out_real(j, "cpu_seconds", s->cpu_user_seconds + s->cpu_system_seconds);
}

static void usage_members(json_out *j, const run_summary *s)
{
    json_out_int(j, "peak_memory_bytes", (long long)s->peak_memory_bytes);
    if (isfinite(s->cgroup_peak_memory_bytes))
        json_out_int(j, "cgroup_peak_memory_bytes", (long long)s->cgroup_peak_memory_bytes);
    else
        json_out_null(j, "cgroup_peak_memory_bytes");
    json_out_int(j, "disk_read_bytes", (long long)s->disk_read_bytes);
    json_out_int(j, "disk_write_bytes", (long long)s->disk_write_bytes);
    json_out_int(j, "net_rx_bytes", (long long)s->net_rx_bytes);
    json_out_int(j, "net_tx_bytes", (long long)s->net_tx_bytes);
    if (isfinite(s->oom_kills))
        json_out_int(j, "oom_kills", (long long)s->oom_kills);
    else
        json_out_null(j, "oom_kills");
    json_out_int(j, "samples", s->samples);
    json_out_real(j, "interval_seconds", s->interval_seconds);
    int_or_null(j, "cgroup_version", s->cgroup_version ? s->cgroup_version : -1);
}

char *summary_to_json(const run_summary *s)
{
    const custom_metric *m = s->custom;
    strbuf sb = STRBUF_INIT;
    if (sb_reserve(&sb, 4096) < 0) /* the whole text, usually: one allocation */
        return NULL;
    json_out j;
    json_out_init(&j, &sb);
    json_out_open(&j, NULL, '{');
    run_members(&j, s);
    usage_members(&j, s);
    if (m && m->has_value)
        json_out_real(&j, "custom_metric", m->value);
    else
        json_out_null(&j, "custom_metric");
    json_out_string(&j, "custom_metric_reason", m && !m->has_value ? m->reason : NULL);
    custom_metrics_object(&j, m);
    instance_object(&j, s->instance);
    job_object(&j);
    json_out_close(&j);
    if (json_out_status(&j) < 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

int summary_write(const char *path, const run_summary *s)
{
    char *text = summary_to_json(s);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = strlen(text);
    text[n] = '\0';
    /* a trailing newline, as text files have */
    char *withnl = realloc(text, n + 2);
    if (!withnl) {
        free(text);
        errno = ENOMEM;
        return -1;
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    int r = write_replace(path, withnl, n + 1);
    int e = errno;
    free(withnl);
    errno = e;
    return r;
}

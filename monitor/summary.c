#include "monitor/summary.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "monitor/fileio.h"

#ifndef MONITOR_VERSION
#define MONITOR_VERSION "0.0.0"
#endif

static json_t *int_or_null(int v) { return v >= 0 ? json_integer(v) : json_null(); }
static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *env_or_null(const char *name) { return str_or_null(getenv(name)); }

static json_t *time_string(double epoch)
{
    char buf[32];
    format_rfc3339_ms(epoch, buf, sizeof buf);
    return json_string(buf);
}

static json_t *command_array(const run_summary *s)
{
    json_t *a = json_array();
    for (int i = 0; i < s->command_argc && a; i++)
        json_array_append_new(a, json_string(s->command[i]));
    return a;
}

static json_t *instance_object(const instance_facts *f)
{
    return json_pack("{s:o, s:o, s:o, s:I, s:o, s:o}",
                     "type", str_or_null(f->type),
                     "type_source", str_or_null(f->type_source),
                     "vcpus", f->vcpus > 0 ? json_integer(f->vcpus) : json_null(),
                     "memory_bytes", (json_int_t)f->memory_bytes,
                     "cpu_model", str_or_null(f->cpu_model),
                     "architecture", str_or_null(f->architecture));
}

/* Who ran this job: the orchestrator's variables and AWS Batch/ECS identity. */
static json_t *job_object(void)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
                     "experiment", env_or_null("ORCH_EXPERIMENT"),
                     "point_tag", env_or_null("ORCH_POINT_TAG"),
                     "replicate", env_or_null("ORCH_REPLICATE"),
                     "aws_batch_job_id", env_or_null("AWS_BATCH_JOB_ID"),
                     "aws_batch_job_array_index", env_or_null("AWS_BATCH_JOB_ARRAY_INDEX"),
                     "ecs_container_metadata_uri", env_or_null("ECS_CONTAINER_METADATA_URI_V4"));
}

static json_t *custom_metrics_object(const custom_metric *m)
{
    json_t *o = json_object();
    for (size_t i = 0; m && o && i < m->n_named; i++)
        json_object_set_new(o, m->named[i].name, json_real(m->named[i].value));
    return o;
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

char *summary_to_json(const run_summary *s)
{
    const custom_metric *m = s->custom;
    json_t *root = json_object();
    if (!root)
        return NULL;
    json_object_set_new(root, "monitor_version", json_string(MONITOR_VERSION));
    json_object_set_new(root, "command", command_array(s));
    json_object_set_new(root, "status", json_string(s->status));
    json_object_set_new(root, "exit_code", int_or_null(s->exit_code));
    json_object_set_new(root, "signal", int_or_null(s->signal));
    json_object_set_new(root, "start_error", str_or_null(s->start_error));
    json_object_set_new(root, "monitor_signal",
                        s->monitor_signal > 0 ? json_integer(s->monitor_signal) : json_null());
    json_object_set_new(root, "start_time", time_string(s->start_time));
    json_object_set_new(root, "end_time", time_string(s->end_time));
    json_object_set_new(root, "wall_seconds", json_real(s->wall_seconds));
    json_object_set_new(root, "cpu_user_seconds", json_real(s->cpu_user_seconds));
    json_object_set_new(root, "cpu_system_seconds", json_real(s->cpu_system_seconds));
    json_object_set_new(root, "cpu_seconds", json_real(s->cpu_user_seconds + s->cpu_system_seconds));
    json_object_set_new(root, "peak_memory_bytes", json_integer((json_int_t)s->peak_memory_bytes));
    json_object_set_new(root, "cgroup_peak_memory_bytes",
                        isfinite(s->cgroup_peak_memory_bytes)
                            ? json_integer((json_int_t)s->cgroup_peak_memory_bytes)
                            : json_null());
    json_object_set_new(root, "disk_read_bytes", json_integer((json_int_t)s->disk_read_bytes));
    json_object_set_new(root, "disk_write_bytes", json_integer((json_int_t)s->disk_write_bytes));
    json_object_set_new(root, "net_rx_bytes", json_integer((json_int_t)s->net_rx_bytes));
    json_object_set_new(root, "net_tx_bytes", json_integer((json_int_t)s->net_tx_bytes));
    json_object_set_new(root, "oom_kills",
                        isfinite(s->oom_kills) ? json_integer((json_int_t)s->oom_kills) : json_null());
    json_object_set_new(root, "samples", json_integer(s->samples));
    json_object_set_new(root, "interval_seconds", json_real(s->interval_seconds));
    json_object_set_new(root, "cgroup_version",
                        s->cgroup_version ? json_integer(s->cgroup_version) : json_null());
    json_object_set_new(root, "custom_metric",
                        m && m->has_value ? json_real(m->value) : json_null());
    json_object_set_new(root, "custom_metric_reason",
                        m && !m->has_value ? json_string(m->reason) : json_null());
    json_object_set_new(root, "custom_metrics", custom_metrics_object(m));
    json_object_set_new(root, "instance", instance_object(s->instance));
    json_object_set_new(root, "job", job_object());
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(root);
    return text;
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

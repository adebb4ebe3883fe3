/* Fetching job results into OUTPUT/runs/... and reading summary.json (see collect.h). */
#include "orchestrator/collect.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "uploader/s3.h"

struct collector {
    const config *cfg;
    char *output_dir;
    s3_client *s3;       /* made on first S3 result */
};

/* The files a job's result directory holds (shared contract). */
static const char *const result_files[] = {"summary.json", "timeseries.csv", "stdout.log",
                                           "stderr.log"};

collector *collector_new(const config *cfg, const char *output_dir, char *err, size_t errlen)
{
    collector *c = calloc(1, sizeof *c);
    if (!c || !(c->output_dir = strdup(output_dir))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    return c;
}

void collector_free(collector *c)
{
    if (!c)
        return;
    s3_client_free(c->s3);
    free(c->output_dir);
    free(c);
}

char *collect_run_dir(const journal_job *jj)
{
    char *s = NULL;
    if (asprintf(&s, "runs/%s/%s/%d", jj->instance_type, jj->point_tag, jj->replicate) < 0)
        return NULL;
    return s;
}

/* ---- summary.json ---------------------------------------------------------------------- */

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static char *str_or_null(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strdup(s) : NULL;
}

int collect_parse_summary(const char *text, size_t len, journal_result *r, char *err,
                          size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "summary.json:%d:%d: %s", je.line, je.column,
                 o ? "not a JSON object" : je.text);
        json_decref(o);
        return -1;
    }
    free(r->status);
    r->status = str_or_null(o, "status");
    json_t *ec = json_object_get(o, "exit_code");
    r->exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
    json_t *sig = json_object_get(o, "signal");
    r->signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
    r->wall_seconds = num(o, "wall_seconds");
    r->cpu_user_seconds = num(o, "cpu_user_seconds");
    r->cpu_system_seconds = num(o, "cpu_system_seconds");
    r->cpu_seconds = num(o, "cpu_seconds");
    if (isnan(r->cpu_seconds) && !isnan(r->cpu_user_seconds) && !isnan(r->cpu_system_seconds))
        r->cpu_seconds = r->cpu_user_seconds + r->cpu_system_seconds;
    r->peak_memory_bytes = num(o, "peak_memory_bytes");
    r->cgroup_peak_memory_bytes = num(o, "cgroup_peak_memory_bytes");
    r->disk_read_bytes = num(o, "disk_read_bytes");
    r->disk_write_bytes = num(o, "disk_write_bytes");
    r->net_rx_bytes = num(o, "net_rx_bytes");
    r->net_tx_bytes = num(o, "net_tx_bytes");
    r->custom_metric = num(o, "custom_metric");
    free(r->custom_metric_reason);
    r->custom_metric_reason = str_or_null(o, "custom_metric_reason");
    free(r->custom_metrics_json);
    r->custom_metrics_json = NULL;
    json_t *cm = json_object_get(o, "custom_metrics");
    if (json_is_object(cm) && json_object_size(cm) > 0)
        r->custom_metrics_json = json_dumps(cm, JSON_COMPACT | JSON_SORT_KEYS);
    free(r->summary_json);
    r->summary_json = strndup(text, len);
    json_decref(o);
    if (!r->summary_json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- fetching -------------------------------------------------------------------------- */

static int copy_local(const char *from_dir, const char *to_dir, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof result_files / sizeof result_files[0]; i++) {
        char *src = path_join(from_dir, result_files[i]);
        char *dst = path_join(to_dir, result_files[i]);
        char *data = NULL;
        size_t len = 0;
        int rc = 0;
        if (!src || !dst) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (read_file(src, &data, &len) == 0) {
            if (write_file_atomic(dst, data, len) != 0) {
                snprintf(err, errlen, "%s: %s", dst, strerror(errno));
                rc = -1;
            }
        } else if (errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", src, strerror(errno));
            rc = -1;
        }
        free(data);
        free(src);
        free(dst);
        if (rc)
            return -1;
    }
    return 0;
}

static int ensure_s3(collector *c, char *err, size_t errlen)
{
    if (c->s3)
        return 0;
    s3_options opt;
    memset(&opt, 0, sizeof opt);
    opt.session.region = c->cfg->region;
    if (c->cfg->backend == CONFIG_BACKEND_LOCAL)
        opt.session.endpoint = c->cfg->local.s3_endpoint;
    opt.path_style = -1;
    aws_error ae;
    memset(&ae, 0, sizeof ae);
    if (s3_client_new(&opt, &c->s3, &ae) != 0) {
        snprintf(err, errlen, "S3 client: %s", ae.message);
        return -1;
    }
    return 0;
}

static int fetch_s3(collector *c, const char *url, const char *to_dir, char *err,
                    size_t errlen)
{
    s3_url u;
    if (s3_url_parse(url, &u) != 0) {
        snprintf(err, errlen, "not an S3 URL: %s", url);
        return -1;
    }
    if (ensure_s3(c, err, errlen) != 0) {
        s3_url_free(&u);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof result_files / sizeof result_files[0]; i++) {
        char *key = path_join(u.key, result_files[i]);
        char *dst = path_join(to_dir, result_files[i]);
        aws_error ae;
        memset(&ae, 0, sizeof ae);
        if (!key || !dst) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (s3_get_file(c->s3, u.bucket, key[0] == '/' ? key + 1 : key, dst, &ae) != 0 &&
                   ae.http_status != 404) {
            snprintf(err, errlen, "s3://%s/%s: %s", u.bucket, key, ae.message);
            rc = -1;
        }
        free(key);
        free(dst);
    }
    s3_url_free(&u);
    return rc;
}

int collector_fetch(collector *c, const journal_job *jj, journal_result *r, char *err,
                    size_t errlen)
{
    char *rel = collect_run_dir(jj);
    char *dir = rel ? path_join(c->output_dir, rel) : NULL;
    int rc = -1;
    if (!rel || !dir) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (mkdir_p(dir) != 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if (!jj->result_url) {
        rc = 1;
    } else if (strncmp(jj->result_url, "s3://", 5) == 0) {
        rc = fetch_s3(c, jj->result_url, dir, err, errlen);
    } else {
        rc = copy_local(jj->result_url, dir, err, errlen);
    }
    if (rc != 0)
        goto out;
    free(r->result_dir);
    r->result_dir = rel;
    rel = NULL;
    char *spath = path_join(dir, "summary.json");
    char *text = NULL;
    size_t len = 0;
    if (spath && read_file(spath, &text, &len) == 0)
        rc = collect_parse_summary(text, len, r, err, errlen) == 0 ? 0 : 1;
    else
        rc = 1;   /* no summary: the job died before the monitor could write one */
    free(text);
    free(spath);
out:
    free(rel);
    free(dir);
    return rc;
}

/* ---- many at once ------------------------------------------------------------------------ */

typedef struct fetch_pool {
    collector *proto;          /* config and output dir shared by every worker */
    collect_item *items;
    size_t n;
    atomic_size_t next;
} fetch_pool;

static void fetch_items(fetch_pool *p, collector *own)
{
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;) {
        collect_item *it = &p->items[i];
        journal_result_init(&it->r);
        it->err[0] = '\0';
        it->rc = collector_fetch(own, it->jj, &it->r, it->err, sizeof it->err);
    }
}

static void *fetch_worker(void *arg)
{
    fetch_pool *p = arg;
    char err[256];
    collector *own = collector_new(p->proto->cfg, p->proto->output_dir, err, sizeof err);
    if (own) {
        fetch_items(p, own);
        collector_free(own);
    }
    return NULL;
}

void collector_fetch_all(collector *c, collect_item *items, size_t n, int threads)
{
    fetch_pool p = {.proto = c, .items = items, .n = n};
    atomic_init(&p.next, 0);
    pthread_t tid[16];
    int started = 0;
    if (threads > 16)
        threads = 16;
    /* The calling thread works too, with the collector it already has. */
    for (int t = 1; t < threads && (size_t)t < n; t++)
        if (pthread_create(&tid[started], NULL, fetch_worker, &p) == 0)
            started++;
    fetch_items(&p, c);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}

#include "monitor/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "monitor/sample_host.h"
#include "monitor/sample_net.h"

static void open_cgroup(sampler *s)
{
    char *self = NULL;
    if (read_file("/proc/self/cgroup", &self, NULL) < 0) {
        log_debug("no /proc/self/cgroup: cgroup columns stay empty");
        return;
    }
    if (cgroup_sampler_open("/sys/fs/cgroup", self, &s->cgroup) < 0)
        s->cgroup = NULL;
    else
        log_debug("cgroup v%d at %s", cgroup_sampler_version(s->cgroup),
                  cgroup_sampler_path(s->cgroup));
    free(self);
}

int sampler_open(sampler *s, pid_t root, double interval)
{
    memset(s, 0, sizeof *s);
    s->cgroup_peak = NAN;
    s->oom_kills = NAN;
    s->full_every = interval >= 0.1 ? 1 : (long)ceil(0.1 / interval - 1e-9);
    if (proc_tree_open(root, &s->tree) < 0) {
        log_error("cannot read /proc: the process tree cannot be sampled");
        return -1;
    }
    open_cgroup(s);
    if (host_sampler_open("/proc", &s->host) < 0)
        s->host = NULL;
    if (net_sampler_open("/proc", &s->layout, &s->net) < 0) {
        log_debug("rtnetlink unavailable: net columns stay empty");
        s->net = NULL;
    }
    if (gpu_sampler_open(interval, &s->layout, &s->gpu) < 0)
        s->gpu = NULL;
    if (s->gpu && gpu_sampler_pid(s->gpu) > 0)
        proc_tree_exclude(s->tree, gpu_sampler_pid(s->gpu));
    if (neuron_sampler_open(interval, &s->neuron) < 0)
        s->neuron = NULL;
    if (s->neuron && neuron_sampler_pid(s->neuron) > 0)
        proc_tree_exclude(s->tree, neuron_sampler_pid(s->neuron));
    if (series_row_init(&s->row, &s->layout) < 0) {
        sampler_close(s);
        return -1;
    }
    return 0;
}

void sampler_close(sampler *s)
{
    proc_tree_close(s->tree);
    cgroup_sampler_close(s->cgroup);
    host_sampler_close(s->host);
    net_sampler_close(s->net);
    gpu_sampler_close(s->gpu);
    neuron_sampler_close(s->neuron);
    series_row_free(&s->row);
    series_layout_free(&s->layout);
    memset(s, 0, sizeof *s);
}

void sampler_start(sampler *s, double start_mono)
{
    s->start_mono = start_mono;
    s->last_mono = start_mono;
}

static void note_peaks(sampler *s, const proc_tree_totals *t, const cgroup_reading *cg)
{
    if (t->rss_bytes > s->tree_rss_peak)
        s->tree_rss_peak = t->rss_bytes;
    double peak = isfinite(cg->mem_peak_bytes) ? cg->mem_peak_bytes : cg->mem_usage_bytes;
    if (isfinite(peak) && (!isfinite(s->cgroup_peak) || peak > s->cgroup_peak))
        s->cgroup_peak = peak;
    if (isfinite(cg->oom_kills))
        s->oom_kills = cg->oom_kills;
}

/* The newest kept tree reading at least RATE_MIN_WINDOW before NOW, or NULL. */
static const rate_base *rate_base_for(const sampler *s, double now)
{
    for (size_t k = 1; k <= s->history_n; k++) {
        const rate_base *b = &s->history[(s->history_next + RATE_HISTORY - k) % RATE_HISTORY];
        if (now - b->mono >= RATE_MIN_WINDOW - 1e-9)
            return b;
    }
    return NULL;
}

static void rate_base_push(sampler *s, double now, const proc_tree_totals *t)
{
    s->history[s->history_next] = (rate_base){ .mono = now, .tree = *t };
    s->history_next = (s->history_next + 1) % RATE_HISTORY;
    if (s->history_n < RATE_HISTORY)
        s->history_n++;
}

const series_row *sampler_take(sampler *s, int force_full)
{
    series_row *row = &s->row;
    series_row_clear(row);
    double now = mono_seconds();
    double dt = now - s->last_mono;
    int full = force_full || s->samples % s->full_every == 0;
    row->wall = wall_seconds();
    row->elapsed = now - s->start_mono;

    proc_tree_totals t = { 0 };
    int tree_ok = proc_tree_sample(s->tree, &t) == 0;
    cgroup_reading cg;
    if (s->cgroup)
        cgroup_sampler_read(s->cgroup, &cg,
                            force_full ? CG_READ_FRESH : full ? CG_READ_FULL : CG_READ_QUICK, now);
    else
        cgroup_reading_unknown(&cg);
    note_peaks(s, &t, &cg);
    if (tree_ok) {
        const rate_base *base = rate_base_for(s, now);
        proc_tree_fill_row(&t, base ? &base->tree : NULL, base ? now - base->mono : 0,
                           s->tree_rss_peak, row);
    }
    cgroup_fill_row(&cg, s->have_prev ? &s->cg_prev : NULL, dt,
                    full && s->have_full ? &s->cg_prev_full : NULL, now - s->last_full_mono, row);
    if (full && s->host)
        host_sampler_sample(s->host, now, force_full, row);
    if (full && s->net) {
        net_sampler_sample(s->net, now, force_full, row);
        if (!s->have_net_start) {
            net_sampler_totals(s->net, &s->net_rx_start, &s->net_tx_start);
            s->have_net_start = 1;
        }
    }
    if (s->gpu) {
        gpu_sampler_pump(s->gpu);
        gpu_sampler_fill(s->gpu, row);
    }
    if (s->neuron) {
        neuron_sampler_pump(s->neuron);
        neuron_sampler_fill(s->neuron, row);
    }
    if (tree_ok) {
        s->tree_prev = t;
        rate_base_push(s, now, &t);
    }
    s->cg_prev = cg;
    if (full) {
        s->cg_prev_full = cg;
        s->last_full_mono = now;
        s->have_full = 1;
    }
    s->have_prev = 1;
    s->last_mono = now;
    s->samples++;
    return row;
}

#include "monitor/sample_gpu.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/helper_proc.h"

#define MAX_GPUS 64

struct gpu_sampler {
    pid_t pid;
    int fd;
    int n_gpus;
    size_t first_col;          /* first extra column of gpu0 */
    gpu_reading latest[MAX_GPUS];
    char buf[8192];
    size_t buf_len;
};

/* One field of a CSV line as a number: "[N/A]", "[Not Supported]" and blanks are NAN. */
static double field_number(const char *s, const char *end)
{
    while (s < end && *s == ' ')
        s++;
    char tmp[48];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof tmp)
        return NAN;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *e;
    double v = strtod(tmp, &e);
    if (e == tmp || !isfinite(v))
        return NAN;
    while (*e == ' ')
        e++;
    return *e ? NAN : v;
}

int parse_gpu_line(const char *line, size_t len, gpu_reading *out)
{
    const char *end = line + len, *s = line;
    double f[5];
    for (int i = 0; i < 5; i++) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *fe = comma ? comma : end;
        if (!comma && i < 4)
            return -1;
        f[i] = field_number(s, fe);
        s = comma ? comma + 1 : end;
    }
    if (!isfinite(f[0]) || f[0] < 0 || f[0] >= MAX_GPUS || f[0] != floor(f[0]))
        return -1;
    out->index = (int)f[0];
    out->util_percent = f[1];
    out->mem_used_bytes = f[2] * 1048576.0;   /* nvidia-smi reports MiB */
    out->mem_total_bytes = f[3] * 1048576.0;
    out->power_watts = f[4];
    return 0;
}

/* Runs `nvidia-smi --query-gpu=index` once to learn how many devices there are. */
static int count_gpus(const char *tool)
{
    char *const argv[] = { "nvidia-smi", "--query-gpu=index", "--format=csv,noheader", NULL };
    int fd;
    pid_t pid = helper_start(tool, argv, -1, &fd);
    if (pid < 0)
        return -1;
    fcntl(fd, F_SETFL, 0);   /* one short answer, read to the end: blocking is right */
    char buf[1024];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            len += (size_t)n;
    close(fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 0;
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    return lines > MAX_GPUS ? MAX_GPUS : lines;
}

static pid_t start_helper(const char *tool, double interval, int *fd)
{
    char lms[32];
    long ms = (long)(interval * 1000.0);
    snprintf(lms, sizeof lms, "%ld", ms < 100 ? 100 : ms); /* nvidia-smi's own floor */
    char *const argv[] = { "nvidia-smi",
                           "--query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw",
                           "--format=csv,noheader,nounits", "-lms", lms, NULL };
    return helper_start(tool, argv, -1, fd);
}

int gpu_sampler_open(double interval, series_layout *layout, gpu_sampler **out)
{
    *out = NULL;
    char tool[512];
    /* the driver's control node: present wherever a GPU is usable (the NVIDIA container
     * toolkit passes it into containers) */
    if (!helper_device_present("nvidiactl") || helper_find("nvidia-smi", tool, sizeof tool) < 0)
        return 0;
    int n = count_gpus(tool);
    if (n <= 0)
        return 0;
    gpu_sampler *g = calloc(1, sizeof *g);
    if (!g)
        return -1;
    g->n_gpus = n;
    g->first_col = layout->n_extra;
    static const char *const what[4] = { "utilization_percent", "memory_used_bytes",
                                         "memory_total_bytes", "power_watts" };
    static const int decimals[4] = { 1, 0, 0, 1 };
    for (int i = 0; i < n; i++) {
        g->latest[i].index = -1;
        for (int k = 0; k < 4; k++) {
            char name[64];
            snprintf(name, sizeof name, "gpu%d_%s", i, what[k]);
            if (series_layout_add(layout, name, decimals[k]) < 0) {
                free(g);
                return -1;
            }
        }
    }
    g->pid = start_helper(tool, interval, &g->fd);
    if (g->pid < 0)
        g->fd = -1;
    *out = g;
    return 0;
}

pid_t gpu_sampler_pid(const gpu_sampler *g) { return g ? g->pid : -1; }
int gpu_sampler_fd(const gpu_sampler *g) { return g ? g->fd : -1; }

static void take_lines(gpu_sampler *g)
{
    size_t start = 0;
    for (size_t i = 0; i < g->buf_len; i++) {
        if (g->buf[i] != '\n')
            continue;
        gpu_reading r;
        if (parse_gpu_line(g->buf + start, i - start, &r) == 0 && r.index < g->n_gpus)
            g->latest[r.index] = r;
        start = i + 1;
    }
    memmove(g->buf, g->buf + start, g->buf_len - start);
    g->buf_len -= start;
    if (g->buf_len == sizeof g->buf) /* a line longer than the buffer: not nvidia-smi's */
        g->buf_len = 0;
}

void gpu_sampler_pump(gpu_sampler *g)
{
    if (!g || g->fd < 0)
        return;
    for (;;) {
        ssize_t n = read(g->fd, g->buf + g->buf_len, sizeof g->buf - g->buf_len);
        if (n > 0) {
            g->buf_len += (size_t)n;
            take_lines(g);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(g->fd);
            g->fd = -1;
        }
        return;
    }
}

void gpu_sampler_fill(const gpu_sampler *g, series_row *row)
{
    if (!g)
        return;
    double util = 0, used = 0, total = 0, power = 0;
    int seen = 0;
    for (int i = 0; i < g->n_gpus; i++) {
        const gpu_reading *r = &g->latest[i];
        if (r->index < 0)
            continue;
        size_t col = g->first_col + (size_t)i * 4;
        if (col + 4 <= row->n_extra) {
            row->extra[col] = r->util_percent;
            row->extra[col + 1] = r->mem_used_bytes;
            row->extra[col + 2] = r->mem_total_bytes;
            row->extra[col + 3] = r->power_watts;
        }
        seen++;
        util += isfinite(r->util_percent) ? r->util_percent : 0;
        used += isfinite(r->mem_used_bytes) ? r->mem_used_bytes : 0;
        total += isfinite(r->mem_total_bytes) ? r->mem_total_bytes : 0;
        power += isfinite(r->power_watts) ? r->power_watts : 0;
    }
    row->v[COL_GPU_COUNT] = g->n_gpus;
    if (seen) {
        row->v[COL_GPU_UTIL_PERCENT] = util / seen;
        row->v[COL_GPU_MEM_USED_BYTES] = used;
        row->v[COL_GPU_MEM_TOTAL_BYTES] = total;
        row->v[COL_GPU_POWER_WATTS] = power;
    }
}

void gpu_sampler_helper_exited(gpu_sampler *g)
{
    if (g)
        g->pid = -1;
}

void gpu_sampler_close(gpu_sampler *g)
{
    if (!g)
        return;
    if (g->pid > 0) {
        kill(g->pid, SIGTERM);
        while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (g->fd >= 0)
        close(g->fd);
    free(g);
}

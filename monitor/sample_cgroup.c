#include "monitor/sample_cgroup.h"

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/fileio.h"
#include "monitor/procfs_parse.h"

/* Values above this are the kernel's "no limit" (v1 writes PAGE_COUNTER_MAX pages). */
#define UNLIMITED_BYTES (1ULL << 60)

enum cg_file {
    CF_CPU_STAT,        /* v2 cpu.stat | v1 cpu/cpu.stat (throttled_time) */
    CF_CPU_MAX,         /* v2 cpu.max */
    CF_CFS_QUOTA,       /* v1 cpu.cfs_quota_us */
    CF_CFS_PERIOD,      /* v1 cpu.cfs_period_us */
    CF_CPUACCT_USAGE,   /* v1 cpuacct.usage (ns) */
    CF_CPUACCT_STAT,    /* v1 cpuacct.stat (ticks) */
    CF_MEM_USAGE,       /* v2 memory.current | v1 memory.usage_in_bytes */
    CF_MEM_STAT,        /* memory.stat */
    CF_MEM_LIMIT,       /* v2 memory.max | v1 memory.limit_in_bytes */
    CF_MEM_PEAK,        /* v2 memory.peak | v1 memory.max_usage_in_bytes */
    CF_MEM_EVENTS,      /* v2 memory.events | v1 memory.oom_control */
    CF_IO,              /* v2 io.stat | v1 blkio.throttle.io_service_bytes_recursive */
    CF_PSI_CPU,
    CF_PSI_MEM,
    CF_PSI_IO,
    CF_COUNT
};

struct cgroup_sampler {
    int version;
    int fd[CF_COUNT];
    char path[1024];
    long ticks;
    double last_inactive_file;   /* NAN until a full read saw memory.stat */
    kept_figure cpu_limit, mem_limit;
    kept_figure psi[3];          /* cpu, memory, io */
    char buf[8192];              /* last: not zeroed at open */
};

int find_cgroup_path(const char *self_cgroup, const char *controller, char *out, size_t outlen)
{
    const char *line = self_cgroup;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t llen = nl ? (size_t)(nl - line) : strlen(line);
        const char *c1 = memchr(line, ':', llen);
        const char *c2 = c1 ? memchr(c1 + 1, ':', llen - (size_t)(c1 + 1 - line)) : NULL;
        if (c2) {
            const char *ctrls = c1 + 1;
            size_t clen = (size_t)(c2 - ctrls);
            int match = 0;
            if (!controller) {
                match = clen == 0 && c1 - line == 1 && line[0] == '0';
            } else {
                size_t n = strlen(controller);
                for (const char *s = ctrls; s < c2;) { /* "cpu,cpuacct" lists */
                    const char *comma = memchr(s, ',', (size_t)(c2 - s));
                    const char *e = comma ? comma : c2;
                    if ((size_t)(e - s) == n && memcmp(s, controller, n) == 0)
                        match = 1;
                    s = e + 1;
                }
            }
            size_t plen = llen - (size_t)(c2 + 1 - line);
            if (match && plen < outlen) {
                memcpy(out, c2 + 1, plen);
                out[plen] = '\0';
                return 0;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return -1;
}

/* Opens (O_PATH) the directory of a controller's cgroup: MOUNT/SUB/PATH, or MOUNT/SUB
 * when the path is not visible there (a container with its own view of the hierarchy).
 * Its path into out. The files are then opened relative to it, so each open looks up one
 * name instead of walking the whole path again. A descriptor, or -1 when the controller
 * is not mounted. */
static int open_controller_dir(const char *mount_root, const char *sub, const char *self_cgroup,
                               const char *controller, char *out, size_t outlen)
{
    char rel[512], base[768];
    if (sub)
        snprintf(base, sizeof base, "%s/%s", mount_root, sub);
    else
        snprintf(base, sizeof base, "%s", mount_root);
    if (find_cgroup_path(self_cgroup, controller, rel, sizeof rel) == 0) {
        int n = snprintf(out, outlen, "%s%s", base, rel);
        if (n > 0 && (size_t)n < outlen) {
            int fd = open_cloexec(out, O_PATH | O_DIRECTORY, 0);
            if (fd >= 0)
                return fd;
        }
    }
    snprintf(out, outlen, "%s", base);
    return open_cloexec(base, O_PATH | O_DIRECTORY, 0);
}

static void open_file(cgroup_sampler *c, enum cg_file which, int dir_fd, const char *name)
{
    c->fd[which] = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
}

static void open_v2(cgroup_sampler *c, int dir_fd, const char *dir)
{
    static const struct { enum cg_file f; const char *name; } files[] = {
        { CF_CPU_STAT, "cpu.stat" },         { CF_CPU_MAX, "cpu.max" },
        { CF_MEM_USAGE, "memory.current" },  { CF_MEM_STAT, "memory.stat" },
        { CF_MEM_LIMIT, "memory.max" },      { CF_MEM_PEAK, "memory.peak" },
        { CF_MEM_EVENTS, "memory.events" },  { CF_IO, "io.stat" },
        { CF_PSI_CPU, "cpu.pressure" },      { CF_PSI_MEM, "memory.pressure" },
        { CF_PSI_IO, "io.pressure" },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        open_file(c, files[i].f, dir_fd, files[i].name);
    snprintf(c->path, sizeof c->path, "%s", dir);
}

static void open_v1(cgroup_sampler *c, const char *root, const char *self_cgroup)
{
    char dir[1024];
    int fd = open_controller_dir(root, "cpuacct", self_cgroup, "cpuacct", dir, sizeof dir);
    if (fd >= 0) {
        open_file(c, CF_CPUACCT_USAGE, fd, "cpuacct.usage");
        open_file(c, CF_CPUACCT_STAT, fd, "cpuacct.stat");
        close(fd);
    }
    fd = open_controller_dir(root, "cpu", self_cgroup, "cpu", dir, sizeof dir);
    if (fd >= 0) {
        open_file(c, CF_CFS_QUOTA, fd, "cpu.cfs_quota_us");
        open_file(c, CF_CFS_PERIOD, fd, "cpu.cfs_period_us");
        open_file(c, CF_CPU_STAT, fd, "cpu.stat");
        close(fd);
    }
    fd = open_controller_dir(root, "blkio", self_cgroup, "blkio", dir, sizeof dir);
    if (fd >= 0) {
        open_file(c, CF_IO, fd, "blkio.throttle.io_service_bytes_recursive");
        close(fd);
    }
    fd = open_controller_dir(root, "memory", self_cgroup, "memory", dir, sizeof dir);
    if (fd >= 0) {
        open_file(c, CF_MEM_USAGE, fd, "memory.usage_in_bytes");
        open_file(c, CF_MEM_STAT, fd, "memory.stat");
        open_file(c, CF_MEM_LIMIT, fd, "memory.limit_in_bytes");
        open_file(c, CF_MEM_PEAK, fd, "memory.max_usage_in_bytes");
        open_file(c, CF_MEM_EVENTS, fd, "memory.oom_control");
        snprintf(c->path, sizeof c->path, "%s", dir);
        close(fd);
    }
}

int cgroup_sampler_open(const char *mount_root, const char *self_cgroup, cgroup_sampler **out)
{
    cgroup_sampler *c = malloc(sizeof *c);
    if (!c)
        return -1;
    /* zeroed up to the buffer only: calloc would write, and so fault in, every page of
     * a buffer whose pages are touched only as far as reads fill it */
    memset(c, 0, offsetof(cgroup_sampler, buf));
    for (int i = 0; i < CF_COUNT; i++)
        c->fd[i] = -1;
    c->last_inactive_file = NAN;
    c->ticks = sysconf(_SC_CLK_TCK);
    if (c->ticks <= 0)
        c->ticks = 100;
    char probe[1024], dir[1024];
    snprintf(probe, sizeof probe, "%s/cgroup.controllers", mount_root);
    if (access(probe, F_OK) == 0) {
        int fd = open_controller_dir(mount_root, NULL, self_cgroup, NULL, dir, sizeof dir);
        if (fd >= 0) {
            c->version = 2;
            open_v2(c, fd, dir);
            close(fd);
        }
    } else {
        open_v1(c, mount_root, self_cgroup);
        for (int i = 0; i < CF_COUNT; i++)
            if (c->fd[i] >= 0)
                c->version = 1;
    }
    *out = c;
    return 0;
}

void cgroup_sampler_close(cgroup_sampler *c)
{
    if (!c)
        return;
    for (int i = 0; i < CF_COUNT; i++)
        if (c->fd[i] >= 0)
            close(c->fd[i]);
    free(c);
}

int cgroup_sampler_version(const cgroup_sampler *c) { return c->version; }
const char *cgroup_sampler_path(const cgroup_sampler *c) { return c->path; }

static ssize_t read_cf(cgroup_sampler *c, enum cg_file f)
{
    if (c->fd[f] < 0)
        return -1;
    ssize_t n = pread(c->fd[f], c->buf, sizeof c->buf - 1, 0);
    if (n < 0)
        return -1;
    c->buf[n] = '\0';
    return n;
}

/* A file holding one number; "max" reads as NAN. */
static double read_number(cgroup_sampler *c, enum cg_file f)
{
    ssize_t n = read_cf(c, f);
    if (n <= 0)
        return NAN;
    const char *p = c->buf;
    if (*p == '-') /* cfs_quota_us of -1: no quota */
        return -1;
    uint64_t v;
    if (scan_u64(&p, c->buf + n, &v) < 0)
        return NAN;
    return (double)v;
}

static double read_key(cgroup_sampler *c, enum cg_file f, const char *key)
{
    ssize_t n = read_cf(c, f);
    uint64_t v;
    if (n <= 0 || parse_keyed_u64(c->buf, (size_t)n, key, &v) < 0)
        return NAN;
    return (double)v;
}

/* Several keys of one keyed file from a single read: out[i] is NAN when keys[i] is
 * missing. */
static void read_keys(cgroup_sampler *c, enum cg_file f, const char *const *keys,
                      double *out, size_t n)
{
    ssize_t len = read_cf(c, f);
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        out[i] = len > 0 && parse_keyed_u64(c->buf, (size_t)len, keys[i], &v) == 0
                     ? (double)v : NAN;
    }
}

static double read_psi(cgroup_sampler *c, enum cg_file f)
{
    ssize_t n = read_cf(c, f);
    double v;
    if (n <= 0 || parse_psi_some_avg10(c->buf, (size_t)n, &v) < 0)
        return NAN;
    return v;
}

int parse_io_stat(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes)
{
    *rbytes = *wbytes = 0;
    int found = 0;
    const char *end = buf + len;
    for (const char *s = buf; s < end; s++) {
        if (s != buf && s[-1] != ' ')
            continue;
        uint64_t *dst = NULL;
        const char *p = NULL;
        if ((size_t)(end - s) > 7 && memcmp(s, "rbytes=", 7) == 0)
            dst = rbytes, p = s + 7;
        else if ((size_t)(end - s) > 7 && memcmp(s, "wbytes=", 7) == 0)
            dst = wbytes, p = s + 7;
        uint64_t v;
        if (dst && scan_u64(&p, end, &v) == 0) {
            *dst += v;
            found = 1;
        }
    }
    return found ? 0 : -1;
}

int parse_blkio_bytes(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes)
{
    *rbytes = *wbytes = 0;
    int found = 0;
    const char *end = buf + len, *line = buf;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *lend = nl ? nl : end;
        const char *sp = memchr(line, ' ', (size_t)(lend - line));
        if (sp && line[0] >= '0' && line[0] <= '9') { /* skips the "Total N" line */
            const char *op = sp + 1, *p = NULL;
            uint64_t *dst = NULL;
            if (lend - op > 5 && memcmp(op, "Read ", 5) == 0)
                dst = rbytes, p = op + 5;
            else if (lend - op > 6 && memcmp(op, "Write ", 6) == 0)
                dst = wbytes, p = op + 6;
            uint64_t v;
            if (dst && scan_u64(&p, lend, &v) == 0) {
                *dst += v;
                found = 1;
            }
        }
        line = lend + 1;
    }
    return found ? 0 : -1;
}

double parse_cpu_max(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    uint64_t quota, period;
    if (len >= 3 && memcmp(buf, "max", 3) == 0)
        return NAN;
    if (scan_u64(&p, end, &quota) < 0 || scan_u64(&p, end, &period) < 0 || period == 0)
        return NAN;
    return (double)quota / (double)period;
}

static double limit_bytes(double v)
{
    return isfinite(v) && v < (double)UNLIMITED_BYTES ? v : NAN;
}

static void read_v2(cgroup_sampler *c, cgroup_reading *r)
{
    static const char *const keys[] = { "usage_usec", "user_usec", "system_usec",
                                        "throttled_usec" };
    double usec[4];
    read_keys(c, CF_CPU_STAT, keys, usec, 4);
    r->cpu_seconds = usec[0] / 1e6;
    r->cpu_user_seconds = usec[1] / 1e6;
    r->cpu_system_seconds = usec[2] / 1e6;
    r->throttled_seconds = usec[3] / 1e6;
    r->mem_usage_bytes = read_number(c, CF_MEM_USAGE);
    r->mem_inactive_file_bytes = read_key(c, CF_MEM_STAT, "inactive_file");
    r->mem_peak_bytes = read_number(c, CF_MEM_PEAK);
    r->oom_kills = read_key(c, CF_MEM_EVENTS, "oom_kill");
    uint64_t rb, wb;
    ssize_t n = read_cf(c, CF_IO);
    if (n >= 0 && c->fd[CF_IO] >= 0) { /* an empty io.stat means no I/O yet */
        if (parse_io_stat(c->buf, (size_t)n, &rb, &wb) < 0)
            rb = wb = 0;
        r->read_bytes = (double)rb;
        r->write_bytes = (double)wb;
    }
}

static void read_v1(cgroup_sampler *c, cgroup_reading *r)
{
    r->cpu_seconds = read_number(c, CF_CPUACCT_USAGE) / 1e9;
    static const char *const keys[] = { "user", "system" };
    double ticks[2];
    read_keys(c, CF_CPUACCT_STAT, keys, ticks, 2);
    r->cpu_user_seconds = ticks[0] / (double)c->ticks;
    r->cpu_system_seconds = ticks[1] / (double)c->ticks;
    r->throttled_seconds = read_key(c, CF_CPU_STAT, "throttled_time") / 1e9;
    r->mem_usage_bytes = read_number(c, CF_MEM_USAGE);
    r->mem_inactive_file_bytes = read_key(c, CF_MEM_STAT, "total_inactive_file");
    r->mem_peak_bytes = read_number(c, CF_MEM_PEAK);
    r->oom_kills = read_key(c, CF_MEM_EVENTS, "oom_kill");
    uint64_t rb, wb;
    ssize_t n = read_cf(c, CF_IO);
    if (n >= 0 && c->fd[CF_IO] >= 0) {
        if (parse_blkio_bytes(c->buf, (size_t)n, &rb, &wb) < 0)
            rb = wb = 0;
        r->read_bytes = (double)rb;
        r->write_bytes = (double)wb;
    }
}

/* The CPU quota in cores: v2 cpu.max, v1 cfs_quota_us / cfs_period_us. */
static double read_cpu_limit(cgroup_sampler *c)
{
    if (c->version == 2) {
        ssize_t n = read_cf(c, CF_CPU_MAX);
        return n > 0 ? parse_cpu_max(c->buf, (size_t)n) : NAN;
    }
    double quota = read_number(c, CF_CFS_QUOTA), period = read_number(c, CF_CFS_PERIOD);
    return quota > 0 && period > 0 ? quota / period : NAN;
}

/* Limits change only when someone sets them: read every CG_LIMIT_PERIOD. */
static void read_limits(cgroup_sampler *c, double now, int force, cgroup_reading *r)
{
    if (kept_figure_due(&c->cpu_limit, now, CG_LIMIT_PERIOD, force))
        kept_figure_set(&c->cpu_limit, now, read_cpu_limit(c));
    if (kept_figure_due(&c->mem_limit, now, CG_LIMIT_PERIOD, force))
        kept_figure_set(&c->mem_limit, now, limit_bytes(read_number(c, CF_MEM_LIMIT)));
    r->cpu_limit_cores = c->cpu_limit.value;
    r->mem_limit_bytes = c->mem_limit.value;
}

/* PSI averages change only every PSI_AVG_PERIOD in the kernel. */
static void read_pressure(cgroup_sampler *c, double now, int force, cgroup_reading *r)
{
    static const enum cg_file files[3] = { CF_PSI_CPU, CF_PSI_MEM, CF_PSI_IO };
    double *out[3] = { &r->cpu_pressure, &r->mem_pressure, &r->io_pressure };
    for (int i = 0; i < 3; i++) {
        if (kept_figure_due(&c->psi[i], now, PSI_AVG_PERIOD, force))
            kept_figure_set(&c->psi[i], now, read_psi(c, files[i]));
        *out[i] = c->psi[i].value;
    }
}

/* The cheap part: CPU time and raw memory usage, one small file each. */
static void read_quick(cgroup_sampler *c, cgroup_reading *r)
{
    if (c->version == 2) {
        r->cpu_seconds = read_key(c, CF_CPU_STAT, "usage_usec") / 1e6;
    } else {
        r->cpu_seconds = read_number(c, CF_CPUACCT_USAGE) / 1e9;
    }
    r->mem_usage_bytes = read_number(c, CF_MEM_USAGE);
}

void cgroup_reading_unknown(cgroup_reading *r)
{
    r->cpu_seconds = r->cpu_user_seconds = r->cpu_system_seconds = NAN;
    r->throttled_seconds = r->cpu_limit_cores = NAN;
    r->mem_usage_bytes = r->mem_inactive_file_bytes = r->mem_bytes = NAN;
    r->mem_limit_bytes = r->mem_peak_bytes = r->oom_kills = NAN;
    r->read_bytes = r->write_bytes = NAN;
    r->cpu_pressure = r->mem_pressure = r->io_pressure = NAN;
}

void cgroup_sampler_read(cgroup_sampler *c, cgroup_reading *r, enum cgroup_read kind,
                         double now)
{
    cgroup_reading_unknown(r);
    if (c->version == 0)
        return;
    int full = kind != CG_READ_QUICK, force = kind == CG_READ_FRESH;
    if (!full)
        read_quick(c, r);
    else if (c->version == 2)
        read_v2(c, r);
    else
        read_v1(c, r);
    if (isfinite(r->mem_inactive_file_bytes))
        c->last_inactive_file = r->mem_inactive_file_bytes;
    /* as docker stats: usage minus the inactive file cache, which the kernel can drop
     * (between full reads, the cache as last read) */
    if (isfinite(r->mem_usage_bytes)) {
        double cache = isfinite(c->last_inactive_file) ? c->last_inactive_file : 0;
        r->mem_bytes = cache < r->mem_usage_bytes ? r->mem_usage_bytes - cache : r->mem_usage_bytes;
    }
    if (full) {
        read_limits(c, now, force, r);
        read_pressure(c, now, force, r);
    }
}

void cgroup_fill_row(const cgroup_reading *cur, const cgroup_reading *prev, double dt,
                     const cgroup_reading *prev_full, double dt_full, series_row *row)
{
    row->v[COL_CG_CPU_SECONDS] = cur->cpu_seconds;
    row->v[COL_CG_CPU_USER_SECONDS] = cur->cpu_user_seconds;
    row->v[COL_CG_CPU_SYSTEM_SECONDS] = cur->cpu_system_seconds;
    row->v[COL_CG_CPU_LIMIT_CORES] = cur->cpu_limit_cores;
    row->v[COL_CG_CPU_THROTTLED_SECONDS] = cur->throttled_seconds;
    row->v[COL_CG_MEM_BYTES] = cur->mem_bytes;
    row->v[COL_CG_MEM_USAGE_BYTES] = cur->mem_usage_bytes;
    row->v[COL_CG_MEM_CACHE_BYTES] = cur->mem_inactive_file_bytes;
    row->v[COL_CG_MEM_LIMIT_BYTES] = cur->mem_limit_bytes;
    row->v[COL_CG_MEM_PEAK_BYTES] = cur->mem_peak_bytes;
    row->v[COL_CG_OOM_KILLS] = cur->oom_kills;
    row->v[COL_CG_DISK_READ_BYTES] = cur->read_bytes;
    row->v[COL_CG_DISK_WRITE_BYTES] = cur->write_bytes;
    row->v[COL_CG_CPU_PRESSURE] = cur->cpu_pressure;
    row->v[COL_CG_MEM_PRESSURE] = cur->mem_pressure;
    row->v[COL_CG_IO_PRESSURE] = cur->io_pressure;
    if (prev && dt > 0)
        row->v[COL_CG_CPU_PERCENT] = (cur->cpu_seconds - prev->cpu_seconds) / dt * 100.0;
    if (prev_full && dt_full > 0) { /* NAN (empty) when this reading is not a full one */
        row->v[COL_CG_DISK_READ_BPS] = (cur->read_bytes - prev_full->read_bytes) / dt_full;
        row->v[COL_CG_DISK_WRITE_BPS] = (cur->write_bytes - prev_full->write_bytes) / dt_full;
    }
}

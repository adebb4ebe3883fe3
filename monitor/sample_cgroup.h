/* The container's cgroup, v1 (per-controller hierarchies, as on these hosts and older
 * AMIs) or v2 (the unified hierarchy of newer AMIs): CPU use and limit, memory usage
 * without page cache (as `docker stats` computes it), limit and peak, OOM kills, bytes
 * read and written, and PSI where present. Files are opened once and read with pread.
 *
 * The cgroup is the one /proc/self/cgroup names; when that path does not exist under the
 * mount (a container that sees its own cgroup at the mount's root) the mount root is used.
 *
 * Ownership: cgroup_sampler_open() allocates, cgroup_sampler_close() frees. */
#ifndef MONITOR_SAMPLE_CGROUP_H
#define MONITOR_SAMPLE_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/series.h"

typedef struct cgroup_sampler cgroup_sampler;

typedef struct cgroup_reading {    /* NAN where not available */
    double cpu_seconds, cpu_user_seconds, cpu_system_seconds, throttled_seconds;
    double cpu_limit_cores;
    double mem_usage_bytes, mem_inactive_file_bytes, mem_bytes, mem_limit_bytes, mem_peak_bytes;
    double oom_kills;
    double read_bytes, write_bytes;
    double cpu_pressure, mem_pressure, io_pressure;
} cgroup_reading;

/* mount_root: "/sys/fs/cgroup" or a fixture tree laid out like it; self_cgroup: the text
 * of /proc/self/cgroup. Returns 0 (the sampler may find no cgroup: version 0) or -1. */
int  cgroup_sampler_open(const char *mount_root, const char *self_cgroup, cgroup_sampler **out);
void cgroup_sampler_close(cgroup_sampler *c);
int  cgroup_sampler_version(const cgroup_sampler *c);         /* 1, 2, or 0 for none */
const char *cgroup_sampler_path(const cgroup_sampler *c);     /* memory (v1) or unified dir */
/* Every figure NAN (no cgroup). */
void cgroup_reading_unknown(cgroup_reading *r);
/* Limits change only when someone sets them: they are read every this many seconds and
 * repeated in between (PSI averages every PSI_AVG_PERIOD, the kernel's own period). */
#define CG_LIMIT_PERIOD 5.0

enum cgroup_read {
    CG_READ_QUICK,   /* CPU time and memory usage only (the rest NAN): the cheap part the
                      * monitor reads at sampling intervals below 100 ms */
    CG_READ_FULL,    /* every figure; limits and PSI as last read while younger than
                      * their period */
    CG_READ_FRESH,   /* every figure, every file read now (the first and last rows) */
};

/* now: monotonic seconds, for the periods of the kept figures. */
void cgroup_sampler_read(cgroup_sampler *c, cgroup_reading *out, enum cgroup_read kind,
                         double now);
/* Fills the cgroup_* columns: CPU % against the previous reading (dt seconds ago), disk
 * rates against the previous full one (dt_full seconds ago). */
void cgroup_fill_row(const cgroup_reading *cur, const cgroup_reading *prev, double dt,
                     const cgroup_reading *prev_full, double dt_full, series_row *row);

/* Sums "MAJ:MIN rbytes=N wbytes=N ..." lines (v2 io.stat). 0 or -1 when none. */
int parse_io_stat(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes);
/* Sums "MAJ:MIN Read N" / "MAJ:MIN Write N" lines (v1 blkio). 0 or -1 when none. */
int parse_blkio_bytes(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes);
/* v2 cpu.max ("max 100000" or "QUOTA PERIOD"): cores, or NAN when unlimited/invalid. */
double parse_cpu_max(const char *buf, size_t len);
/* Finds the path of CONTROLLER in /proc/self/cgroup text ("" for v2's "0::" line when
 * controller is NULL) into out. 0 or -1. */
int find_cgroup_path(const char *self_cgroup, const char *controller, char *out, size_t outlen);

#endif

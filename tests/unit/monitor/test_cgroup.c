/* cgroup v1 and v2 readers on recorded cgroup trees (tests/unit/monitor/fixtures). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "monitor/sample_cgroup.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_files.h"

#define FIX "tests/unit/monitor/fixtures/"

static cgroup_sampler *open_fixture(const char *root)
{
    char *self_path = path_join(root, "self_cgroup"), *self = NULL;
    cgroup_sampler *c = NULL;
    if (read_file(self_path, &self, NULL) == 0)
        cgroup_sampler_open(root, self, &c);
    free(self_path);
    free(self);
    return c;
}

TEST(v1_container_seen_from_host)
{
    cgroup_sampler *c = open_fixture(FIX "cgroup_v1");
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT(cgroup_sampler_version(c), 1);
    cgroup_reading r;
    cgroup_sampler_read(c, &r, CG_READ_FRESH, 0);
    CHECK_NEAR(r.cpu_seconds, 2.5, 1e-9);
    CHECK_NEAR(r.cpu_user_seconds, 1.5, 1e-9);
    CHECK_NEAR(r.cpu_system_seconds, 0.7, 1e-9);
    CHECK_NEAR(r.cpu_limit_cores, 2.0, 1e-9);
    CHECK_NEAR(r.throttled_seconds, 0.5, 1e-9);
    CHECK_NEAR(r.mem_usage_bytes, 209715200, 0);
    CHECK_NEAR(r.mem_inactive_file_bytes, 52428800, 0);
    CHECK_NEAR(r.mem_bytes, 209715200 - 52428800, 0); /* as docker stats */
    CHECK_NEAR(r.mem_limit_bytes, 536870912, 0);
    CHECK_NEAR(r.mem_peak_bytes, 314572800, 0);
    CHECK_NEAR(r.oom_kills, 2, 0);
    CHECK_NEAR(r.read_bytes, 4096 + 1000, 0);
    CHECK_NEAR(r.write_bytes, 8192, 0);
    CHECK(isnan(r.cpu_pressure));
    cgroup_sampler_close(c);
}

TEST(v1_inside_container_unlimited)
{
    cgroup_sampler *c = open_fixture(FIX "cgroup_v1_inside");
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT(cgroup_sampler_version(c), 1);
    cgroup_reading r;
    cgroup_sampler_read(c, &r, CG_READ_FRESH, 0);
    CHECK_NEAR(r.cpu_seconds, 1.0, 1e-9);
    CHECK(isnan(r.cpu_limit_cores));  /* quota -1 */
    CHECK(isnan(r.mem_limit_bytes));  /* PAGE_COUNTER_MAX means no limit */
    CHECK_NEAR(r.mem_bytes, 1048576, 0);
    CHECK(isnan(r.read_bytes));       /* no blkio in this tree */
    cgroup_sampler_close(c);
}

TEST(v2_unified)
{
    cgroup_sampler *c = open_fixture(FIX "cgroup_v2");
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT(cgroup_sampler_version(c), 2);
    cgroup_reading r;
    cgroup_sampler_read(c, &r, CG_READ_FRESH, 0);
    CHECK_NEAR(r.cpu_seconds, 3.0, 1e-9);
    CHECK_NEAR(r.cpu_user_seconds, 2.0, 1e-9);
    CHECK_NEAR(r.cpu_system_seconds, 1.0, 1e-9);
    CHECK_NEAR(r.throttled_seconds, 0.25, 1e-9);
    CHECK_NEAR(r.cpu_limit_cores, 1.5, 1e-9);
    CHECK_NEAR(r.mem_usage_bytes, 104857600, 0);
    CHECK_NEAR(r.mem_bytes, 104857600 - 20971520, 0);
    CHECK(isnan(r.mem_limit_bytes)); /* "max" */
    CHECK_NEAR(r.mem_peak_bytes, 157286400, 0);
    CHECK_NEAR(r.oom_kills, 1, 0);
    CHECK_NEAR(r.read_bytes, 1048576 + 1024, 0);
    CHECK_NEAR(r.write_bytes, 2097152, 0);
    CHECK_NEAR(r.cpu_pressure, 1.5, 1e-9);
    CHECK_NEAR(r.mem_pressure, 0.0, 1e-9);
    CHECK(isnan(r.io_pressure)); /* no io.pressure in the fixture */
    /* the quick read: CPU and usage only, the cache as last read */
    cgroup_sampler_read(c, &r, CG_READ_QUICK, 0);
    CHECK_NEAR(r.cpu_seconds, 3.0, 1e-9);
    CHECK_NEAR(r.mem_bytes, 104857600 - 20971520, 0);
    CHECK(isnan(r.cpu_user_seconds) && isnan(r.read_bytes) && isnan(r.cpu_pressure));
    cgroup_sampler_close(c);
}

TEST(rates_between_readings)
{
    cgroup_reading a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.cpu_seconds = 10;
    b.cpu_seconds = 11.5;
    a.write_bytes = 0;
    b.write_bytes = 4096;
    series_layout l = { 0 };
    series_row row;
    CHECK_INT(series_row_init(&row, &l), 0);
    cgroup_fill_row(&b, &a, 0.5, &a, 0.5, &row);
    CHECK_NEAR(row.v[COL_CG_CPU_PERCENT], 300.0, 1e-9);
    CHECK_NEAR(row.v[COL_CG_DISK_WRITE_BPS], 8192.0, 1e-9);
    series_row_free(&row);
}

TEST(no_cgroup_at_all)
{
    cgroup_sampler *c = NULL;
    CHECK_INT(cgroup_sampler_open("/nonexistent-cgroup-root", "0::/\n", &c), 0);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT(cgroup_sampler_version(c), 0);
    cgroup_reading r;
    cgroup_sampler_read(c, &r, CG_READ_FRESH, 0);
    CHECK(isnan(r.cpu_seconds) && isnan(r.mem_bytes));
    cgroup_sampler_close(c);
}

TEST(limits_and_pressure_kept_for_their_period)
{
    char dir[] = "/tmp/test_cgroup.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    put(dir, "cgroup.controllers", "cpu memory io\n");
    put(dir, "cpu.stat", "usage_usec 1000000\n");
    put(dir, "memory.current", "4096\n");
    put(dir, "cpu.max", "200000 100000\n");
    put(dir, "memory.max", "1048576\n");
    put(dir, "cpu.pressure", "some avg10=1.00 avg60=0.00 avg300=0.00 total=1\n");
    cgroup_sampler *c = NULL;
    CHECK_INT(cgroup_sampler_open(dir, "0::/\n", &c), 0);
    cgroup_reading r;
    if (c) {
        cgroup_sampler_read(c, &r, CG_READ_FRESH, 100.0);
        CHECK_NEAR(r.cpu_limit_cores, 2.0, 1e-9);
        CHECK_NEAR(r.mem_limit_bytes, 1048576, 0);
        CHECK_NEAR(r.cpu_pressure, 1.0, 1e-9);
        put(dir, "cpu.max", "100000 100000\n");
        put(dir, "memory.max", "max\n");
        put(dir, "cpu.pressure", "some avg10=5.00 avg60=0.00 avg300=0.00 total=9\n");
        put(dir, "memory.current", "8192\n");
        cgroup_sampler_read(c, &r, CG_READ_FULL, 101.0); /* all kept, usage fresh */
        CHECK_NEAR(r.cpu_limit_cores, 2.0, 1e-9);
        CHECK_NEAR(r.mem_limit_bytes, 1048576, 0);
        CHECK_NEAR(r.cpu_pressure, 1.0, 1e-9);
        CHECK_NEAR(r.mem_usage_bytes, 8192, 0);
        cgroup_sampler_read(c, &r, CG_READ_FULL, 102.0); /* PSI's period is over */
        CHECK_NEAR(r.cpu_pressure, 5.0, 1e-9);
        CHECK_NEAR(r.cpu_limit_cores, 2.0, 1e-9);
        cgroup_sampler_read(c, &r, CG_READ_QUICK, 103.0); /* quick: no limits at all */
        CHECK(isnan(r.cpu_limit_cores) && isnan(r.cpu_pressure));
        cgroup_sampler_read(c, &r, CG_READ_FULL, 105.0); /* the limits' period is over */
        CHECK_NEAR(r.cpu_limit_cores, 1.0, 1e-9);
        CHECK(isnan(r.mem_limit_bytes)); /* "max" */
        put(dir, "cpu.max", "max 100000\n");
        cgroup_sampler_read(c, &r, CG_READ_FRESH, 105.5); /* fresh reads everything */
        CHECK(isnan(r.cpu_limit_cores));
        cgroup_sampler_close(c);
    }
    const char *files[] = { "cgroup.controllers", "cpu.stat", "memory.current", "cpu.max",
                            "memory.max", "cpu.pressure" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        rm(dir, files[i]);
    CHECK_INT(rmdir(dir), 0);
}

TEST(parsers)
{
    char path[64];
    CHECK_INT(find_cgroup_path("4:cpu,cpuacct:/a/b\n0::/u\n", "cpuacct", path, sizeof path), 0);
    CHECK_STR(path, "/a/b");
    CHECK_INT(find_cgroup_path("4:cpu,cpuacct:/a/b\n0::/u\n", NULL, path, sizeof path), 0);
    CHECK_STR(path, "/u");
    CHECK_INT(find_cgroup_path("4:cpu,cpuacct:/a/b\n", "memory", path, sizeof path), -1);
    CHECK(isnan(parse_cpu_max("max 100000\n", 11)));
    CHECK_NEAR(parse_cpu_max("50000 100000\n", 13), 0.5, 1e-9);
    CHECK(isnan(parse_cpu_max("50000 0\n", 8)));
    uint64_t rb, wb;
    CHECK_INT(parse_io_stat("", 0, &rb, &wb), -1);
    const char *io = "8:0 rbytes=5 wbytes=7 rios=1\n";
    CHECK_INT(parse_io_stat(io, strlen(io), &rb, &wb), 0);
    CHECK_INT(rb, 5);
    CHECK_INT(wb, 7);
    const char *blk = "8:0 Read 3\n8:0 Write 4\n8:0 Total 7\nTotal 7\n";
    CHECK_INT(parse_blkio_bytes(blk, strlen(blk), &rb, &wb), 0);
    CHECK_INT(rb, 3);
    CHECK_INT(wb, 4);
}

int main(void)
{
    RUN(v1_container_seen_from_host);
    RUN(v1_inside_container_unlimited);
    RUN(v2_unified);
    RUN(rates_between_readings);
    RUN(no_cgroup_at_all);
    RUN(limits_and_pressure_kept_for_their_period);
    RUN(parsers);
    return unit_done();
}

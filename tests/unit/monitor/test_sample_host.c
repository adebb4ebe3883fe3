/* The host sampler on a /proc laid out in a temporary directory: CPU percent between
 * samples, memory, and the load and PSI averages read only at the kernel's own periods. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "monitor/sample_host.h"
#include "tests/unit/unit.h"
#include "tests/unit/unit_files.h"

static const char *const files[] = { "stat", "meminfo", "loadavg", "pressure/cpu",
                                      "pressure/memory", "pressure/io" };

static void make_proc(const char *dir)
{
    char *pressure = path_join(dir, "pressure");
    CHECK(pressure && mkdir(pressure, 0755) == 0);
    free(pressure);
    put(dir, "stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n");
    put(dir, "meminfo", "MemTotal:       1000 kB\nMemFree:         500 kB\n"
                        "MemAvailable:    600 kB\n");
    put(dir, "loadavg", "1.50 1.00 0.50 2/100 1234\n");
    put(dir, "pressure/cpu", "some avg10=2.00 avg60=0.00 avg300=0.00 total=5\n");
    put(dir, "pressure/memory", "some avg10=0.50 avg60=0.00 avg300=0.00 total=5\n"
                                "full avg10=0.25 avg60=0.00 avg300=0.00 total=5\n");
    /* no pressure/io: a kernel without it leaves the column empty */
}

static void remove_proc(const char *dir)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        rm(dir, files[i]);
    char *pressure = path_join(dir, "pressure");
    rmdir(pressure);
    free(pressure);
    CHECK_INT(rmdir(dir), 0);
}

TEST(kept_figures_follow_the_kernel_periods)
{
    char dir[] = "/tmp/test_sample_host.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    make_proc(dir);
    host_sampler *h = NULL;
    CHECK_INT(host_sampler_open(dir, &h), 0);
    series_layout l = { 0 };
    series_row row;
    CHECK_INT(series_row_init(&row, &l), 0);
    if (h) {
        host_sampler_sample(h, 10.0, 1, &row);
        CHECK(isnan(row.v[COL_HOST_CPU_PERCENT])); /* no previous sample */
        CHECK_NEAR(row.v[COL_HOST_MEM_TOTAL_BYTES], 1000 * 1024.0, 0);
        CHECK_NEAR(row.v[COL_HOST_MEM_AVAILABLE_BYTES], 600 * 1024.0, 0);
        CHECK_NEAR(row.v[COL_HOST_LOAD1], 1.5, 1e-9);
        CHECK_NEAR(row.v[COL_HOST_CPU_PRESSURE], 2.0, 1e-9);
        CHECK_NEAR(row.v[COL_HOST_MEM_PRESSURE], 0.5, 1e-9);
        CHECK(isnan(row.v[COL_HOST_IO_PRESSURE]));

        put(dir, "stat", "cpu  200 0 200 900 0 0 0 0 0 0\n");
        put(dir, "meminfo", "MemTotal:       1000 kB\nMemAvailable:    300 kB\n");
        put(dir, "loadavg", "3.00 1.00 0.50 2/100 1234\n");
        put(dir, "pressure/cpu", "some avg10=7.00 avg60=0.00 avg300=0.00 total=9\n");
        series_row_clear(&row);
        host_sampler_sample(h, 11.0, 0, &row);   /* CPU and memory fresh, averages kept */
        CHECK_NEAR(row.v[COL_HOST_CPU_PERCENT], 200.0 / 300.0 * 100.0, 1e-9);
        CHECK_NEAR(row.v[COL_HOST_MEM_AVAILABLE_BYTES], 300 * 1024.0, 0);
        CHECK_NEAR(row.v[COL_HOST_LOAD1], 1.5, 1e-9);
        CHECK_NEAR(row.v[COL_HOST_CPU_PRESSURE], 2.0, 1e-9);

        series_row_clear(&row);
        host_sampler_sample(h, 12.0, 0, &row);   /* PSI's 2 s are over, not the load's 5 */
        CHECK_NEAR(row.v[COL_HOST_CPU_PRESSURE], 7.0, 1e-9);
        CHECK_NEAR(row.v[COL_HOST_LOAD1], 1.5, 1e-9);

        series_row_clear(&row);
        host_sampler_sample(h, 14.99, 0, &row);
        CHECK_NEAR(row.v[COL_HOST_LOAD1], 1.5, 1e-9);
        series_row_clear(&row);
        host_sampler_sample(h, 15.0, 0, &row);
        CHECK_NEAR(row.v[COL_HOST_LOAD1], 3.0, 1e-9);

        put(dir, "loadavg", "4.25 1.00 0.50 2/100 1234\n");
        series_row_clear(&row);
        host_sampler_sample(h, 15.5, 1, &row);   /* forced: the last row reads everything */
        CHECK_NEAR(row.v[COL_HOST_LOAD1], 4.25, 1e-9);
        CHECK_INT(host_sampler_mem_total(h), 1000 * 1024);
        host_sampler_close(h);
    }
    series_row_free(&row);
    remove_proc(dir);
}

int main(void)
{
    RUN(kept_figures_follow_the_kernel_periods);
    return unit_done();
}

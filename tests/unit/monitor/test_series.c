/* The time-series writers and summary.json: header, values, empty fields, formats. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/timeutil.h"
#include "monitor/series_writer.h"
#include "monitor/summary.h"
#include "tests/unit/unit.h"

TEST(format_value)
{
    char b[48];
    series_format_value(NAN, 2, b, sizeof b);
    CHECK_STR(b, "");
    series_format_value(12.5, 2, b, sizeof b);
    CHECK_STR(b, "12.5");
    series_format_value(3.0, 2, b, sizeof b);
    CHECK_STR(b, "3");
    series_format_value(1234567890123.0, 0, b, sizeof b);
    CHECK_STR(b, "1234567890123");
    series_format_value(-0.001, 1, b, sizeof b);
    CHECK_STR(b, "0");
    series_format_value(INFINITY, 0, b, sizeof b);
    CHECK_STR(b, "");
    static const struct { double v; int d; const char *s; } cases[] = {
        { 0, 0, "0" }, { 0.05, 2, "0.05" }, { 0.001, 3, "0.001" }, { 100.44, 1, "100.4" },
        { -2.5, 2, "-2.5" }, { 199.96, 1, "200" }, { 7, 3, "7" }, { 1e20, 0, "1e+20" },
        { 18446744073709551615.0, 0, "1.8446744073709552e+19" }, { 0.104, 2, "0.1" },
        { 1795400000.25, 3, "1795400000.25" }, { -0.0, 0, "0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        series_format_value(cases[i].v, cases[i].d, b, sizeof b);
        CHECK_STR(b, cases[i].s);
    }
}

static char *write_rows(enum series_format f, const char *path)
{
    series_layout l = { 0 };
    series_layout_add(&l, "net_eth0_rx_bytes", 0);
    series_row r;
    series_row_init(&r, &l);
    series_writer *w;
    CHECK_INT(series_writer_open(path, f, &l, &w), 0);
    r.wall = 1795400000.25;
    r.elapsed = 0;
    r.v[COL_TREE_CPU_SECONDS] = 1.5;
    r.extra[0] = 1000;
    CHECK_INT(series_writer_row(w, &r), 0);
    series_row_clear(&r);
    r.wall = 1795400001.25;
    r.elapsed = 1.0;
    CHECK_INT(series_writer_row(w, &r), 0);
    CHECK_INT(series_writer_rows(w), 2);
    CHECK_INT(series_writer_close(w), 0);
    series_row_free(&r);
    series_layout_free(&l);
    char *text = NULL;
    read_file(path, &text, NULL);
    return text;
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s && *s != '\n'; s++)
        n += *s == c;
    return n;
}

TEST(csv)
{
    char path[] = "/tmp/series.XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char *text = write_rows(FORMAT_CSV, path);
    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(strncmp(text, "time,timestamp_unix,elapsed_seconds,tree_processes,", 51) == 0);
    char *row1 = strchr(text, '\n') + 1;
    char *row2 = strchr(row1, '\n') + 1;
    int cols = count_char(text, ',');
    CHECK_INT(count_char(row1, ','), cols); /* every row has every column */
    CHECK_INT(count_char(row2, ','), cols);
    CHECK(strstr(text, ",net_eth0_rx_bytes\n") != NULL); /* extra columns last */
    CHECK(strncmp(row1, "2026-11-23T02:13:20.250Z,", 25) == 0);
    CHECK(strstr(row1, ".250Z,1795400000.250,0.000,") != NULL);
    CHECK(strstr(row1, ",1000\n") != NULL);
    CHECK(strstr(row2, ",\n") != NULL); /* a missing value is an empty field */
    free(text);
    unlink(path);
}

TEST(jsonl_and_openmetrics)
{
    char path[] = "/tmp/series.XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char *text = write_rows(FORMAT_JSONL, path);
    CHECK(text != NULL);
    json_error_t e;
    char *nl = text ? strchr(text, '\n') : NULL;
    if (nl) {
        *nl = '\0';
        json_t *j = json_loads(text, 0, &e);
        CHECK(j != NULL);
        CHECK_NEAR(json_number_value(json_object_get(j, "tree_cpu_seconds")), 1.5, 1e-9);
        CHECK(json_is_null(json_object_get(j, "host_load1")));
        CHECK_NEAR(json_number_value(json_object_get(j, "net_eth0_rx_bytes")), 1000, 0);
        json_decref(j);
    }
    free(text);
    text = write_rows(FORMAT_OPENMETRICS, path);
    CHECK(text && strstr(text, "monitor_tree_cpu_seconds 1.5 1795400000.250\n"));
    CHECK(text && strstr(text, "# EOF\n"));
    free(text);
    unlink(path);
}

TEST(summary_keys)
{
    char *argv[] = { "./run.sh", "4", NULL };
    custom_metric cm = { 0 };
    snprintf(cm.reason, sizeof cm.reason, "the file is empty");
    instance_facts inst = { .vcpus = 2, .memory_bytes = 1 << 30 };
    snprintf(inst.architecture, sizeof inst.architecture, "x86_64");
    run_summary s = { .command = argv, .command_argc = 2, .status = "signalled",
                      .exit_code = -1, .signal = 9, .start_time = 1795400000,
                      .end_time = 1795400002.5, .wall_seconds = 2.5, .cpu_user_seconds = 1,
                      .cpu_system_seconds = 0.5, .peak_memory_bytes = 1000,
                      .cgroup_peak_memory_bytes = NAN, .oom_kills = NAN, .samples = 3,
                      .custom = &cm, .instance = &inst };
    char *text = summary_to_json(&s);
    CHECK(text != NULL);
    json_error_t e;
    json_t *j = text ? json_loads(text, 0, &e) : NULL;
    CHECK(j != NULL);
    if (!j) {
        free(text);
        return;
    }
    static const char *const keys[] = {
        "monitor_version", "command", "status", "exit_code", "signal", "start_time",
        "end_time", "wall_seconds", "cpu_user_seconds", "cpu_system_seconds", "cpu_seconds",
        "peak_memory_bytes", "cgroup_peak_memory_bytes", "disk_read_bytes",
        "disk_write_bytes", "net_rx_bytes", "net_tx_bytes", "oom_kills", "samples",
        "custom_metric", "custom_metric_reason", "custom_metrics", "instance" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(j, keys[i])) {
            fprintf(stderr, "  missing key %s\n", keys[i]);
            CHECK(0);
        }
    CHECK_STR(json_string_value(json_object_get(j, "status")), "signalled");
    CHECK(json_is_null(json_object_get(j, "exit_code")));
    CHECK_INT(json_integer_value(json_object_get(j, "signal")), 9);
    CHECK_NEAR(json_number_value(json_object_get(j, "cpu_seconds")), 1.5, 1e-9);
    CHECK(json_is_null(json_object_get(j, "custom_metric")));
    CHECK_STR(json_string_value(json_object_get(j, "custom_metric_reason")), "the file is empty");
    CHECK_STR(json_string_value(json_array_get(json_object_get(j, "command"), 1)), "4");
    CHECK_STR(json_string_value(json_object_get(j, "start_time")), "2026-11-23T02:13:20.000Z");
    json_t *in = json_object_get(j, "instance");
    CHECK(json_is_null(json_object_get(in, "type")));
    CHECK_INT(json_integer_value(json_object_get(in, "vcpus")), 2);
    CHECK_STR(json_string_value(json_object_get(in, "architecture")), "x86_64");
    json_decref(j);
    free(text);
}

/* The time columns: every decimal kept, as printf's %.3f writes them. */
TEST(format_fixed_as_printf)
{
    const double values[] = { 0.0, 1.0, 0.001, 0.0104, 12.3456, 59.9996, 1795419903.1,
                              1795419903.9996, 1795419903.0004, 86400.25, 123456789.125001 };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char mine[48], want[48];
        size_t n = series_format_fixed(values[i], 3, mine, sizeof mine);
        snprintf(want, sizeof want, "%.3f", values[i]);
        CHECK_STR(mine, want);
        CHECK_INT(n, strlen(want));
    }
    char b[48];
    series_format_fixed(2.5, 0, b, sizeof b);
    CHECK(strcmp(b, "2") == 0 || strcmp(b, "3") == 0); /* a tie: either neighbour */
    series_format_fixed(1e300, 3, b, sizeof b); /* beyond the exact range: printf itself */
    CHECK_INT(strlen(b), 0); /* too long for the buffer: nothing */
    series_format_fixed(NAN, 3, b, sizeof b);
    CHECK_STR(b, "");
}

/* The row's time column: the same text as format_rfc3339_ms, whether the second is
 * cached or new, across second, minute, day and year boundaries and the rounding carry. */
TEST(time_column_as_rfc3339)
{
    rfc3339_cache c = { 0 };
    const double starts[] = { 1795419903.0, 1798761599.5, 0.0, 951782399.9 };
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        for (int i = 0; i < 3000; i++) {
            double t = starts[k] + i * 0.000731; /* irregular steps through several seconds */
            char mine[32], want[32];
            series_format_time(&c, t, mine, sizeof mine);
            format_rfc3339_ms(t, want, sizeof want);
            if (strcmp(mine, want) != 0) {
                CHECK_STR(mine, want);
                break;
            }
        }
    }
    char b[32];
    series_format_time(&c, 1795419903.9996, b, sizeof b); /* rounds up into the next second */
    CHECK_STR(b, "2026-11-23T07:45:04.000Z");
    series_format_time(&c, -1.0, b, sizeof b); /* before 1970: left to format_rfc3339_ms */
    CHECK_STR(b, "1969-12-31T23:59:59.000Z");
    series_format_time(&c, NAN, b, sizeof b);
    CHECK_STR(b, "");
}

int main(void)
{
    RUN(format_value);
    RUN(csv);
    RUN(jsonl_and_openmetrics);
    RUN(summary_keys);
    RUN(format_fixed_as_printf);
    RUN(time_column_as_rfc3339);
    return unit_done();
}

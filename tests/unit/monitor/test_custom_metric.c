/* benchmark_custom.txt: bare numbers (last wins), node_exporter lines, bad files. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/custom_metric.h"
#include "tests/unit/unit.h"

static custom_metric parse(const char *s)
{
    custom_metric m;
    custom_metric_parse(s, strlen(s), &m);
    return m;
}

TEST(single_number)
{
    custom_metric m = parse("12.5\n");
    CHECK(m.has_value);
    CHECK_NEAR(m.value, 12.5, 0);
    CHECK_STR(m.reason, "");
    custom_metric_free(&m);
    m = parse("  -3e2  ");
    CHECK(m.has_value);
    CHECK_NEAR(m.value, -300, 0);
    custom_metric_free(&m);
}

TEST(last_number_wins)
{
    custom_metric m = parse("1\n2\n3.25\n");
    CHECK(m.has_value);
    CHECK_NEAR(m.value, 3.25, 0);
    custom_metric_free(&m);
    m = parse("4 5 6\r\n");
    CHECK_NEAR(m.value, 6, 0);
    custom_metric_free(&m);
    m = parse("7\n\n\n   \n");
    CHECK_NEAR(m.value, 7, 0);
    custom_metric_free(&m);
}

TEST(node_exporter_lines)
{
    custom_metric m = parse("# HELP x y\n# TYPE throughput gauge\nthroughput 120.5\n"
                            "latency_seconds{quantile=\"0.99\"} 0.25 1700000000\n"
                            "throughput 130\n");
    CHECK_INT(m.n_named, 2);
    CHECK(!m.has_value); /* two names, no bare number: which one to optimise is unknown */
    CHECK(strstr(m.reason, "named") != NULL);
    for (size_t i = 0; i < m.n_named; i++) {
        if (strcmp(m.named[i].name, "throughput") == 0)
            CHECK_NEAR(m.named[i].value, 130, 0); /* last wins per name too */
        else
            CHECK_STR(m.named[i].name, "latency_seconds{quantile=\"0.99\"}");
    }
    custom_metric_free(&m);
    m = parse("score -42\n");
    CHECK(m.has_value); /* one named value is the metric */
    CHECK_NEAR(m.value, -42, 0);
    custom_metric_free(&m);
    m = parse("score 1\n-7\n");
    CHECK(m.has_value);
    CHECK_NEAR(m.value, -7, 0);
    CHECK_INT(m.n_named, 1);
    custom_metric_free(&m);
}

TEST(bad_content)
{
    const char *bad[] = { "", "   \n\n", "hello world\n", "nan\n", "inf\n", "0x10\n",
                          "1.2.3\n", "1e999\n", "{\"a\":1}\n", "\0\0\0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        custom_metric m = parse(bad[i]);
        CHECK(!m.has_value);
        CHECK(m.reason[0] != '\0');
        custom_metric_free(&m);
    }
    custom_metric m = parse("");
    CHECK(strstr(m.reason, "empty") != NULL);
    custom_metric_free(&m);
}

TEST(files)
{
    char dir[] = "/tmp/cmtest.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/benchmark_custom.txt", dir);
    custom_metric m;
    CHECK_INT(custom_metric_read(path, 0, &m), 0);
    CHECK(!m.has_value && strstr(m.reason, "no such file"));
    custom_metric_free(&m);

    FILE *f = fopen(path, "w");
    fputs("1\n99.5\n", f);
    fclose(f);
    CHECK_INT(custom_metric_read(path, 0, &m), 0);
    CHECK(m.has_value);
    CHECK_NEAR(m.value, 99.5, 0);
    custom_metric_free(&m);

    /* a file from before this run does not count */
    CHECK_INT(custom_metric_read(path, 4e9, &m), 0);
    CHECK(!m.has_value && strstr(m.reason, "stale"));
    custom_metric_free(&m);

    CHECK_INT(custom_metric_read(dir, 0, &m), 0);
    CHECK(!m.has_value && strstr(m.reason, "not a regular file"));
    custom_metric_free(&m);

    /* a big file: only its tail is read, and the last number still wins */
    f = fopen(path, "w");
    for (int i = 0; i < 300000; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    CHECK_INT(custom_metric_read(path, 0, &m), 0);
    CHECK(m.has_value);
    CHECK_NEAR(m.value, 299999, 0);
    custom_metric_free(&m);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(single_number);
    RUN(last_number_wins);
    RUN(node_exporter_lines);
    RUN(bad_content);
    RUN(files);
    return unit_done();
}

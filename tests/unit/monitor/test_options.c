/* The command line: new options, the old Python monitor's flags, environment defaults,
 * and everything after --cmd belonging to the workload. */
#include <stdlib.h>

#include "monitor/options.h"
#include "tests/unit/unit.h"

static int parse(monitor_options *o, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return monitor_options_parse(argc, argv, o);
}

TEST(new_options)
{
    char *argv[] = { "m", "--result-url", "s3://b/p/", "--interval=0.01", "--checkpoint", "5",
                     "--grace", "3", "-g", "--shell", "--workdir", "/w", "--instance-type",
                     "c7g.large", "--format", "jsonl", "--require-upload", "--cmd", "echo hi",
                     NULL };
    monitor_options o;
    CHECK_INT(parse(&o, argv), 0);
    CHECK_STR(o.result_url, "s3://b/p/");
    CHECK_NEAR(o.interval, 0.01, 0);
    CHECK_NEAR(o.checkpoint, 5, 0);
    CHECK_NEAR(o.grace, 3, 0);
    CHECK(o.process_group && o.shell && o.require_upload);
    CHECK_STR(o.workdir, "/w");
    CHECK_STR(o.instance_type, "c7g.large");
    CHECK_INT(o.format, FORMAT_JSONL);
    CHECK_INT(o.cmd_argc, 1);
    CHECK_STR(o.cmd[0], "echo hi");
    CHECK(o.cmd[1] == NULL);
    monitor_options_free(&o);
}

TEST(old_flags)
{
    char *argv[] = { "m", "-s3", "bucket", "-id", "run-7", "-cf", "out.txt", "--cmd",
                     "./runscript.sh", "4", "9", "2", NULL };
    monitor_options o;
    CHECK_INT(parse(&o, argv), 0);
    CHECK_STR(o.result_url, "s3://bucket/run-7/");
    CHECK_STR(o.custom_file, "out.txt");
    CHECK_INT(o.cmd_argc, 4);
    CHECK_STR(o.cmd[3], "2");
    monitor_options_free(&o);
}

TEST(everything_after_cmd_is_the_command)
{
    char *argv[] = { "m", "--cmd", "prog", "--interval", "x", "-g", "--help", NULL };
    monitor_options o;
    CHECK_INT(parse(&o, argv), 0);
    CHECK_INT(o.cmd_argc, 5);
    CHECK_STR(o.cmd[1], "--interval");
    CHECK(!o.process_group);
    CHECK_NEAR(o.interval, 1.0, 0);
    monitor_options_free(&o);
}

TEST(defaults_and_environment)
{
    setenv("MONITOR_RESULT_URL", "/results/x", 1);
    setenv("MONITOR_WORKDIR", "/tmp/wd", 1);
    setenv("MONITOR_INSTANCE_TYPE", "m5.large", 1);
    char *argv[] = { "m", "--cmd", "true", NULL };
    monitor_options o;
    CHECK_INT(parse(&o, argv), 0);
    CHECK_STR(o.result_url, "/results/x");
    CHECK_STR(o.workdir, "/tmp/wd");
    CHECK_STR(o.instance_type, "m5.large");
    CHECK_STR(o.custom_file, "./benchmark_custom.txt");
    CHECK_NEAR(o.grace, 10, 0);
    CHECK_NEAR(o.checkpoint, 0, 0);
    monitor_options_free(&o);
    unsetenv("MONITOR_RESULT_URL");
    unsetenv("MONITOR_WORKDIR");
    unsetenv("MONITOR_INSTANCE_TYPE");
    char *argv2[] = { "m", "--result-url", "/r", "--cmd", "true", NULL };
    CHECK_INT(parse(&o, argv2), 0);
    CHECK(o.workdir == NULL); /* chosen at run time */
    monitor_options_free(&o);
}

TEST(usage_errors)
{
    char *no_cmd[] = { "m", "--interval", "1", NULL };
    char *empty_cmd[] = { "m", "--cmd", NULL };
    char *bad_interval[] = { "m", "--interval", "0.001", "--cmd", "true", NULL };
    char *nan_interval[] = { "m", "--interval", "nan", "--cmd", "true", NULL };
    char *missing_value[] = { "m", "--grace", NULL };
    char *unknown[] = { "m", "--frobnicate", "--cmd", "true", NULL };
    char *bad_format[] = { "m", "--format", "xml", "--cmd", "true", NULL };
    char **cases[] = { no_cmd, empty_cmd, bad_interval, nan_interval, missing_value, unknown,
                       bad_format };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        monitor_options o;
        CHECK_INT(parse(&o, cases[i]), -1);
        monitor_options_free(&o);
    }
}

int main(void)
{
    RUN(new_options);
    RUN(old_flags);
    RUN(everything_after_cmd_is_the_command);
    RUN(defaults_and_environment);
    RUN(usage_errors);
    return unit_done();
}

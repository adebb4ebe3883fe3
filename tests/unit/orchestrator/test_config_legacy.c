/* The older Python tool's benchmark_config.json loads unchanged and means the same. */
#include <stdlib.h>
#include <string.h>

#include "orchestrator/config.h"
#include "tests/unit/unit.h"

static char err[1024];

static const char *error_of(const char *json)
{
    config c;
    config_init(&c);
    int rc = config_parse_legacy_json("b.json", json, strlen(json), &c, err, sizeof err);
    if (rc == 0)
        rc = config_check(&c, err, sizeof err);
    config_free(&c);
    return rc == 0 ? "(no error)" : err;
}

#define CHECK_ERR(text, expected)                                                    \
    do {                                                                             \
        const char *e_ = error_of(text);                                             \
        if (!strstr(e_, expected)) {                                                 \
            fprintf(stderr, "  %s:%d: error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
                    e_, expected);                                                   \
            unit_case_failed = 1;                                                    \
        }                                                                            \
    } while (0)

TEST(benchmark_example)
{
    config c;
    CHECK_INT(config_load("tests/data/orchestrator/legacy/benchmark_config.json", &c, err,
                          sizeof err), 0);
    CHECK_INT(c.legacy_json, 1);
    CHECK_INT(c.backend, CONFIG_BACKEND_BATCH);   /* the old tool always used Batch */
    CHECK_STR(c.experiment, "legacy"); /* benchmark_config is generic: the folder names it */
    CHECK_STR(c.region, "us-east-1");
    CHECK_STR(c.results_url, "s3://my-benchmark-bucket/");
    CHECK_STR(c.image, "123456789012.dkr.ecr.us-east-1.amazonaws.com/prime:latest");
    CHECK_STR(c.log_group, "/aws/batch/job");
    CHECK_INT(c.replicates, 3);
    CHECK_NEAR(c.job_timeout_seconds, 40 * 60, 0);   /* minutes */
    CHECK_INT(c.n_instance_types, 3);
    CHECK_STR(c.instance_types[2], "c7g");
    CHECK_INT(c.n_exclude_types, 6);
    CHECK_INT(c.n_gpu_counts, 1);
    CHECK_INT(c.gpu_counts[0], 0);
    CHECK_INT(c.nodes_min, 1);
    CHECK_INT(c.nodes_max, 1);
    /* run_cmd: the monitor's own options and the command after --cmd */
    CHECK_INT(c.n_monitor_args, 2);
    CHECK_STR(c.monitor_args[0], "-cf");
    CHECK_STR(c.monitor_args[1], "/app/benchmark_custom.txt");
    CHECK_INT(c.n_command, 2);
    CHECK_STR(c.command[0], "/app/runscript.sh");
    CHECK_STR(c.command[1], "100000");
    CHECK_INT(c.search.method, SEARCH_NONE);
    config_free(&c);
}

TEST(optimization_example)
{
    config c;
    CHECK_INT(config_load("tests/data/orchestrator/legacy/optimization_config.json", &c, err,
                          sizeof err), 0);
    CHECK_INT(c.search.method, SEARCH_GRID);
    CHECK_INT(c.search.iterations, 1);   /* the old grid: one round of parallel_samples */
    CHECK_INT(c.search.parallel_samples, 288);
    CHECK_STR(c.search.metric, "custom_metric");
    CHECK_INT(c.n_params, 3);
    CHECK_STR(c.params[0].name, "arg1");
    CHECK_INT(c.params[0].kind, PARAM_INT);
    CHECK_NEAR(c.params[0].min, 1, 0);
    CHECK_NEAR(c.params[0].max, 4, 0);
    CHECK_INT(c.params[2].kind, PARAM_FLOAT);
    CHECK_INT(c.params[2].scale, PARAM_SCALE_LOG);
    CHECK_STR(c.command[1], "ARGS");
    config_free(&c);
}

TEST(method_and_metric_mapping)
{
    const char *gp = "{\"s3_bucket_name\":\"b\",\"container_arn\":\"i\","
                     "\"ec2_types\":[\"c5.large\",\"m5.large\"],"
                     "\"run_cmd\":\"m --cmd x ARGS\",\"optimization_iterations\":3,"
                     "\"optimization_metric\":\"peak_RAM\",\"optimization_node_count\":[1,4],"
                     "\"optimization_arg1\":[\"a\",\"b\"],\"optimization_arg1_type\":\"categorical\"}";
    config c;
    config_init(&c);
    CHECK_INT(config_parse_legacy_json("g.json", gp, strlen(gp), &c, err, sizeof err), 0);
    CHECK_INT(c.search.method, SEARCH_BAYES);   /* default "gp" */
    CHECK_INT(c.n_instance_types, 1);            /* the older tool tuned on the first type */
    CHECK_STR(c.instance_types[0], "c5.large");
    CHECK_INT(c.search.iterations, 3);
    CHECK_STR(c.search.metric, "peak_memory_bytes");
    CHECK_INT(c.search.tune_nodes, 1);
    CHECK_INT(c.nodes_max, 4);
    CHECK_INT(c.params[0].kind, PARAM_CATEGORICAL);
    CHECK_INT(c.params[0].n_values, 2);
    CHECK_INT(c.n_command, 2);   /* no monitor word before --cmd: nothing for the monitor */
    CHECK_INT(c.n_monitor_args, 0);
    config_free(&c);
}

TEST(errors_have_positions)
{
    CHECK_ERR("{\n  \"replications\": \"three\",\n  \"run_cmd\": \"--cmd x\"\n}",
              "b.json:2:3: replications: expected a whole number, got a string");
    CHECK_ERR("{\n  \"run_cmd\": \"--cmd x\",\n  \"replication\": 2\n}",
              "b.json:3:3: unknown key \"replication\" (did you mean \"replications\"?)");
    CHECK_ERR("{\n  \"run_cmd\": \"--cmd x\",\n  \"ec2_types\": [\"c5\",\n}",
              "b.json:4:1: unexpected token");
    CHECK_ERR("{\"run_cmd\": \"a b --cmd\"}", "b.json:1:2: run_cmd: no command after --cmd");
    CHECK_ERR("{\"run_cmd\": \"--cmd x\", \"ec2_multinode_count\": [3, 1]}",
              "ec2_multinode_count: MAX (1) is below MIN (3)");
    CHECK_ERR("{\"run_cmd\": \"--cmd x\", \"optimization_iterations\": 2, "
              "\"optimization_arg2\": [1, 2]}", "optimization_arg1 is missing");
    CHECK_ERR("{\"run_cmd\": \"--cmd x\", \"optimization_iterations\": 2, "
              "\"optimization_arg1\": [1, 2], \"optimization_arg1_type\": \"complex\"}",
              "unknown type \"complex\"");
    CHECK_ERR("{\"run_cmd\": \"--cmd x\", \"optimization_arg1\": [1, 2]}",
              "optimization_arg1 is given but optimization_iterations is not");
    CHECK_ERR("[1, 2]", "b.json:1:1: the config must be a JSON object, got a list");
    CHECK_ERR("{\"run_cmd\": \"--cmd x\", \"run_cmd\": \"--cmd y\"}", "b.json:1:");
}

int main(void)
{
    RUN(benchmark_example);
    RUN(optimization_example);
    RUN(method_and_metric_mapping);
    RUN(errors_have_positions);
    return unit_done();
}

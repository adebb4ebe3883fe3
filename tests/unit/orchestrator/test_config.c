/* The YAML config: every documented key read into struct config, and each kind of mistake
 * reported with FILE:LINE:COLUMN (unknown keys with the nearest valid one). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "orchestrator/config.h"
#include "orchestrator/config_text.h"
#include "tests/unit/unit.h"

static char err[1024];

/* Parses text as YAML plus the cross-field checks; the config is freed unless kept. */
static int parse(const char *text, config *c)
{
    config_init(c);
    err[0] = '\0';
    int rc = config_parse_yaml("t.yaml", text, strlen(text), c, err, sizeof err);
    if (rc == 0)
        rc = config_check(c, err, sizeof err);
    return rc;
}

/* The error a text gives (the config is freed). */
static const char *error_of(const char *text)
{
    config c;
    int rc = parse(text, &c);
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

TEST(minimal_file)
{
    config c;
    char *path = "tests/data/orchestrator/minimal.yaml";
    CHECK_INT(config_load(path, &c, err, sizeof err), 0);
    CHECK_STR(c.experiment, "minimal");
    CHECK_INT(c.backend, CONFIG_BACKEND_LOCAL);
    CHECK_INT(c.replicates, 2);
    CHECK_INT(c.n_instance_types, 2);
    CHECK_STR(c.instance_types[1], "large");
    CHECK_INT(c.n_command, 3);
    CHECK_STR(c.command[2], "ARGS");
    CHECK_INT(c.n_params, 1);
    CHECK_STR(c.params[0].name, "n");
    CHECK_INT(c.params[0].kind, PARAM_INT);
    CHECK_INT(c.params[0].n_values, 2);
    CHECK_INT(c.local.concurrency, 2);
    CHECK_INT(c.local.n_profiles, 2);
    CHECK_NEAR(c.local.profiles[0].cpus, 1, 0);
    CHECK(c.local.profiles[1].memory_bytes == 512ull * 1024 * 1024);
    double price = 0;
    CHECK_INT(config_price_override(&c, "small", &price), 0);
    CHECK_NEAR(price, 0.0416, 1e-12);
    config_free(&c);
}

TEST(full_file_every_key)
{
    config c;
    CHECK_INT(config_load("tests/data/orchestrator/full.yaml", &c, err, sizeof err), 0);
    if (err[0] && unit_case_failed)
        fprintf(stderr, "  %s\n", err);
    CHECK_STR(c.experiment, "tuning-demo");
    CHECK_INT(c.backend, CONFIG_BACKEND_BATCH);
    CHECK_STR(c.region, "us-east-1");
    CHECK_STR(c.results_url, "s3://my-bucket/benchmarks/");
    CHECK_STR(c.image_arch, "multi");
    CHECK_NEAR(c.job_timeout_seconds, 1800, 0);
    CHECK_NEAR(c.stall_timeout_seconds, 600, 0);
    CHECK_INT(c.replicates, 3);
    CHECK_INT(c.has_seed, 1);
    CHECK(c.seed == 42);
    CHECK_INT(c.n_instance_types, 3);
    CHECK_INT(c.n_exclude_types, 1);
    CHECK_INT(c.n_gpu_counts, 1);
    CHECK_INT(c.nodes_min, 1);
    CHECK_INT(c.n_monitor_args, 2);
    CHECK_INT(c.n_env, 1);
    CHECK_STR(c.env[0], "OMP_PROC_BIND=true");
    CHECK_INT(c.n_params, 4);
    CHECK_INT(c.params[0].scale, PARAM_SCALE_LOG);
    CHECK_INT(c.params[1].kind, PARAM_ORDINAL);
    CHECK_INT(c.params[2].kind, PARAM_FLOAT);
    CHECK_INT(c.params[2].count, 4);
    CHECK_INT(c.params[3].kind, PARAM_CATEGORICAL);
    CHECK_INT(c.search.method, SEARCH_BAYES);
    CHECK_INT(c.search.iterations, 10);
    CHECK_INT(c.search.parallel_samples, 4);
    CHECK_STR(c.search.metric, "cost");
    CHECK_STR(c.search.acquisition, "logei");
    CHECK_STR(c.search.initial_design, "sobol");
    CHECK_NEAR(c.search.budget_usd, 25, 0);
    CHECK_STR(c.search.constraint_metric, "runtime");
    CHECK_NEAR(c.search.constraint_max, 600, 0);
    CHECK_INT(c.search.tune_instance_type, 1);
    CHECK_INT(c.local.engine, LOCAL_ENGINE_PODMAN);
    CHECK_STR(c.local.s3_endpoint, "http://127.0.0.1:4566");
    CHECK_INT(c.batch.pinning, BATCH_PIN_MNP);
    CHECK_STR(c.batch.job_queue, "orchestrate-queue");
    CHECK_INT(c.batch.n_subnets, 1);
    CHECK_INT(c.batch.max_vcpus, 256);
    CHECK_NEAR(c.pricing.max_age_days, 30, 0);
    CHECK_INT(c.pricing.n_overrides, 1);
    config_free(&c);
}

TEST(defaults)
{
    config c;
    CHECK_INT(parse("command: [true]\n", &c), 0);
    CHECK_INT(c.replicates, 1);
    CHECK_INT(c.nodes_min, 1);
    CHECK_INT(c.nodes_max, 1);
    CHECK_INT(c.backend, CONFIG_BACKEND_LOCAL);
    CHECK_STR(c.experiment, "t");   /* the file's stem */
    CHECK_INT(c.n_instance_types, 1);
    CHECK_STR(c.instance_types[0], "local");
    CHECK(c.local.concurrency >= 1);
    config_free(&c);
}

TEST(command_string_is_split_like_the_old_tool)
{
    config c;
    CHECK_INT(parse("command: ./run.sh  --fast ARGS\nparameters: {n: [1, 2]}\n", &c), 0);
    CHECK_INT(c.n_command, 3);
    CHECK_STR(c.command[1], "--fast");
    CHECK_INT(c.params[0].kind, PARAM_INT);   /* inferred from the values */
    config_free(&c);
}

TEST(inferred_kinds)
{
    config c;
    CHECK_INT(parse("command: [x]\nparameters:\n  a: [1.5, 2]\n  b: [fast, slow]\n"
                    "  c: {min: 1, max: 8}\n  d: {min: 0.5, max: 2}\n"
                    "search: {method: random}\n", &c), 0);
    CHECK_INT(c.params[0].kind, PARAM_FLOAT);
    CHECK_INT(c.params[1].kind, PARAM_CATEGORICAL);
    CHECK_INT(c.params[2].kind, PARAM_INT);
    CHECK_INT(c.params[3].kind, PARAM_FLOAT);
    CHECK_STR(c.search.metric, "runtime");   /* default objective */
    config_free(&c);
}

TEST(unknown_key_suggests_nearest)
{
    CHECK_ERR("command: [x]\nreplicats: 2\n", "t.yaml:2:1: config: unknown key \"replicats\" "
                                               "(did you mean \"replicates\"?)");
    CHECK_ERR("command: [x]\nlocal:\n  concurency: 2\n",
              "t.yaml:3:3: local: unknown key \"concurency\" (did you mean \"concurrency\"?)");
    CHECK_ERR("command: [x]\nsearch:\n  method: bayes\n  paralel_samples: 2\n",
              "t.yaml:4:3: search: unknown key \"paralel_samples\" (did you mean \"parallel_samples\"?)");
    CHECK_ERR("command: [x]\nparameters:\n  n: {type: int, valeus: [1]}\n",
              "t.yaml:3:18: parameters.n: unknown key \"valeus\" (did you mean \"values\"?)");
    CHECK_ERR("command: [x]\nzzzzzzzzzzzz: 1\n", "t.yaml:2:1: config: unknown key \"zzzzzzzzzzzz\"");
}

TEST(unknown_enum_value_suggests)
{
    CHECK_ERR("command: [x]\nbackend: btach\n",
              "t.yaml:2:10: backend: unknown value \"btach\" (did you mean batch?");
    CHECK_ERR("command: [x]\nsearch: {method: bayesian-ish}\n", "t.yaml:2:18: method:");
}

TEST(wrong_types)
{
    CHECK_ERR("command: [x]\nreplicates: two\n",
              "t.yaml:2:13: replicates: expected a whole number, got \"two\"");
    CHECK_ERR("command: [x]\nreplicates: [1]\n",
              "t.yaml:2:13: replicates: expected a whole number, got a list");
    CHECK_ERR("command: {a: 1}\n", "t.yaml:1:10: command: expected a list, got a mapping");
    CHECK_ERR("command: [x]\nlocal: [1]\n", "t.yaml:2:8: local: expected a mapping, got a list");
    CHECK_ERR("command: [x]\njob_timeout: soon\n", "t.yaml:2:14: job_timeout: expected a duration");
    CHECK_ERR("command: [x]\nlocal: {profiles: {a: {memory: lots}}}\n", "memory: expected a size");
    CHECK_ERR("command: [x]\nsearch: {method: grid, tune_nodes: maybe}\n",
              "tune_nodes: expected true or false, got maybe");
    CHECK_ERR("- just\n- a list\n", "t.yaml:1:1: the config must be a mapping of keys, got a list");
}

TEST(impossible_values)
{
    CHECK_ERR("command: [x]\nreplicates: 0\n", "t.yaml:2:13: replicates: 0 is out of range (1..10000)");
    CHECK_ERR("command: [x]\nnodes: {min: 4, max: 2}\n", "t.yaml:2:8: nodes: max (2) is below min (4)");
    CHECK_ERR("command: [x]\nparameters: {n: {type: int, min: 8, max: 2}}\n",
              "parameter n: min (8) is above max (2)");
    CHECK_ERR("command: [x]\nparameters: {n: {type: float, min: 0, max: 2, scale: log}}\n",
              "parameter n: a log scale needs min > 0");
    CHECK_ERR("command: [x]\nparameters: {n: {type: int, min: 1, max: 4, values: [1, 9]}}\n",
              "parameter n: value 9 is outside min..max");
    CHECK_ERR("command: [x]\nparameters: {n: {type: int, values: [1, 2.5]}}\n",
              "parameter n: value \"2.5\" is not a whole number");
    CHECK_ERR("command: [x]\nparameters: {a: {type: categorical}}\n",
              "parameter a: a categorical parameter needs values");
    CHECK_ERR("command: [x]\nparameters: {a: {type: categorical, values: [p, p]}}\n",
              "value \"p\" is listed twice");
    CHECK_ERR("command: [x]\nparameters: {n: {type: int, min: 1, max: 4}}\n",
              "parameter n has a range but no values or count");
    CHECK_ERR("command: [x]\nexperiment: a/b\n", "t.yaml:2:13: experiment: \"a/b\" may hold only");
    CHECK_ERR("command: [x]\nresults_url: s3:///x\n", "names no bucket");
    CHECK_ERR("command: [x]\nresults_url: http://x/\n", "only s3:// URLs or local directories");
    CHECK_ERR("command: [x]\nbackend: batch\njob_timeout: 10\n",
              "t.yaml:3:14: job_timeout: AWS Batch needs at least 60 seconds");
    CHECK_ERR("command: [x]\nlocal: {profiles: {a: {memory: 1KiB}}}\n", "too small");
    CHECK_ERR("command: [x]\nbatch: {retry_attempts: 11}\n", "retry_attempts: 11 is out of range");
    CHECK_ERR("command: [x]\nenv: {1BAD: x}\n", "\"1BAD\" is not a valid variable name");
    CHECK_ERR("command: [x]\nreplicates: 1\nreplicates: 2\n", "t.yaml:3:1: config: duplicate key \"replicates\"");
}

TEST(cross_field_rules)
{
    CHECK_ERR("experiment: x\n", "no command given");
    CHECK_ERR("command: [run, \"{threads}\"]\n", "command refers to {threads}, which is not a parameter");
    CHECK_ERR("command: [run, ARGS, ./work.sh, ARGS]\n", "ARGS appears more than once");
    CHECK_ERR("command: [x]\nbackend: batch\ninstance_types: [c7i.large]\nimage: i\n",
              "backend batch needs results_url");
    CHECK_ERR("command: [x]\nbackend: batch\nresults_url: s3://b/\ninstance_types: [c7i.large]\n",
              "backend batch needs an image");
    CHECK_ERR("command: [x]\nlocal: {engine: podman}\n", "local engine podman needs an image");
    CHECK_ERR("command: [x]\ninstance_types: [big]\nlocal: {profiles: {small: {cpus: 1}}}\n",
              "instance type big has no local profile");
    CHECK_ERR("command: [x]\nsearch: {method: bayes, tune_nodes: true}\n",
              "tune_nodes needs nodes: {min: N, max: M}");
}

/* A config written for the local backend with an s3:// results_url keeps the URL, so
 * `--backend batch` (which flips cfg->backend and checks again) can use it, while local
 * jobs without local.s3_endpoint keep their results on this machine. */
TEST(backend_override_keeps_results_url)
{
    config c;
    CHECK_INT(parse("command: [x]\nresults_url: s3://bucket/prefix/\nimage: img\n"
                    "instance_types: [c7i.large]\nlocal: {profiles: {c7i.large: {cpus: 1}}}\n",
                    &c), 0);
    CHECK(config_job_results_url(&c) == NULL);
    c.backend = CONFIG_BACKEND_BATCH;
    CHECK_INT(config_check(&c, err, sizeof err), 0);
    CHECK_STR(config_job_results_url(&c), "s3://bucket/prefix/");
    config_free(&c);
}

/* The experiment's default name is the file's stem, or for config.* and the older tool's
 * benchmark_config.json the folder's name. */
TEST(default_experiment_name)
{
    char dir[] = "/tmp/unit_cfg_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *body = "command: [x]\n";
    struct { const char *rel, *want; } cases[] = {
        {"prime_numbers/config.yaml", "prime_numbers"},
        {"solver/benchmark_config.json", "solver"},
        {"solver/nightly.yaml", "nightly"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], sub[256];
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].rel);
        snprintf(sub, sizeof sub, "%s", path);
        *strrchr(sub, '/') = '\0';
        CHECK(mkdir(sub, 0755) == 0 || errno == EEXIST);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
            continue;
        fputs(strstr(path, ".json") ? "{\"run_cmd\": \"x\", \"s3_bucket_name\": \"b\", "
                                     "\"container_arn\": \"img\", \"ec2_types\": [\"c5.large\"]}"
                                   : body,
              f);
        fclose(f);
        config c;
        int rc = config_load(path, &c, err, sizeof err);
        CHECK_INT(rc, 0);
        if (rc == 0)
            CHECK_STR(c.experiment, cases[i].want);
        config_free(&c);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(syntax_error_has_position)
{
    CHECK_ERR("command: [x\nreplicates: 2\n", "t.yaml:");
    CHECK_ERR("a: b\n  c: d\n", "t.yaml:2:4:");
    CHECK_ERR("", "t.yaml:1:1: the config is empty");
}

TEST(units)
{
    uint64_t b;
    double d;
    CHECK_INT(config_parse_bytes("512MiB", &b), 0);
    CHECK(b == 512ull << 20);
    CHECK_INT(config_parse_bytes("1.5G", &b), 0);
    CHECK(b == 1500000000ull);
    CHECK_INT(config_parse_bytes("-1", &b), -1);
    CHECK_INT(config_parse_bytes("1 parsec", &b), -1);
    CHECK_INT(config_parse_duration("1h30m", &d), 0);
    CHECK_NEAR(d, 5400, 0);
    CHECK_INT(config_parse_duration("90", &d), 0);
    CHECK_NEAR(d, 90, 0);
    CHECK_INT(config_parse_duration("2x", &d), -1);
    CHECK_INT(config_parse_duration("1h30", &d), -1);
    CHECK_INT(config_parse_duration("", &d), -1);
}

TEST(edit_distance)
{
    const char *const keys[] = {"replicates", "region", "results_url"};
    CHECK_INT(config_edit_distance("kitten", "sitting"), 3);
    CHECK_INT(config_edit_distance("", "abc"), 3);
    CHECK_STR(config_nearest("regoin", keys, 3), "region");
    CHECK_STR(config_nearest("replicate", keys, 3), "replicates");
    CHECK(config_nearest("xyz", keys, 3) == NULL);
}

/* Every top-level key the parser knows is documented in orchestrate.yaml(5). */
TEST(every_key_documented)
{
    size_t n;
    const char *const *keys = config_yaml_top_keys(&n);
    FILE *f = fopen("man/orchestrate.yaml.5", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char man[65536];
    size_t len = fread(man, 1, sizeof man - 1, f);
    man[len] = '\0';
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, ".B %s ", keys[i]);
        if (!strstr(man, needle)) {
            fprintf(stderr, "  key %s is not documented\n", keys[i]);
            unit_case_failed = 1;
        }
    }
}

int main(void)
{
    RUN(minimal_file);
    RUN(full_file_every_key);
    RUN(defaults);
    RUN(command_string_is_split_like_the_old_tool);
    RUN(inferred_kinds);
    RUN(unknown_key_suggests_nearest);
    RUN(unknown_enum_value_suggests);
    RUN(wrong_types);
    RUN(impossible_values);
    RUN(cross_field_rules);
    RUN(syntax_error_has_position);
    RUN(units);
    RUN(edit_distance);
    RUN(every_key_documented);
    RUN(backend_override_keeps_results_url);
    RUN(default_experiment_name);
    return unit_done();
}

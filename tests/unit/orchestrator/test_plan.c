/* The plan: instance type expansion (families, globs, excludes, architecture), the full
 * factorial of points, stable path-safe tags, and argv built without a shell. */
#include <stdlib.h>
#include <string.h>

#include "orchestrator/config.h"
#include "orchestrator/instance_types.h"
#include "orchestrator/plan.h"
#include "tests/unit/unit.h"

static char err[1024];

static int load(const char *text, config *c)
{
    config_init(c);
    int rc = config_parse_yaml("p.yaml", text, strlen(text), c, err, sizeof err);
    if (rc == 0)
        rc = config_check(c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "  config: %s\n", err);
    return rc;
}

static int has(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

TEST(table_lookups)
{
    const instance_type_info *t = instance_type_lookup("c7g.large");
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->vcpus, 2);
        CHECK(t->memory_mib == 4096);
        CHECK_STR(t->arch, "arm64");
        CHECK_STR(t->family, "c7g");
        CHECK_INT(t->generation, 7);
    }
    t = instance_type_lookup("g5.12xlarge");
    CHECK(t && t->gpus == 4 && strcmp(t->gpu_model, "A10G") == 0);
    CHECK(instance_type_lookup("c7g.metal") == NULL);
    CHECK_INT(instance_type_matches("c7g.large", "c7g"), 1);
    CHECK_INT(instance_type_matches("c7gn.large", "c7g"), 0);
    CHECK_INT(instance_type_matches("m6i.large", "m6i.*"), 1);
    CHECK_INT(instance_type_matches("c7i.large", "c7?.large"), 1);
    CHECK_STR(instance_type_arch("m9g.large"), "arm64");   /* not in the table: by its name */
    CHECK_STR(instance_type_arch("m9i.large"), "x86_64");
    CHECK_STR(instance_arch_normalise("aarch64"), "arm64");
    CHECK_STR(instance_arch_normalise("amd64"), "x86_64");
    CHECK(instance_arch_normalise("sparc") == NULL);
}

TEST(families_expand_and_filter)
{
    config c;
    char **types = NULL;
    size_t n = 0;
    CHECK_INT(load("backend: batch\nresults_url: s3://b/\nimage: i\ncommand: [x]\n"
                   "instance_types: [c6i, m6i.large, c7g]\nexclude_instance_types: [xlarge]\n",
                   &c), 0);
    /* c7g is arm64 and the image x86_64 by default: named outright, that is an error */
    CHECK_INT(plan_instance_types(&c, &types, &n, err, sizeof err), -1);
    CHECK(strstr(err, "c7g is not x86_64 like the image") != NULL);
    config_free(&c);

    CHECK_INT(load("backend: batch\nresults_url: s3://b/\nimage: i\nimage_arch: multi\n"
                   "command: [x]\ninstance_types: [c6i, m6i.large, c7g, m6i.large]\n"
                   "exclude_instance_types: [xlarge]\n", &c), 0);
    CHECK_INT(plan_instance_types(&c, &types, &n, err, sizeof err), 0);
    CHECK_INT(n, 4);   /* c6i.large, m6i.large (once), c7g.medium, c7g.large */
    CHECK(has(types, n, "c6i.large") && has(types, n, "m6i.large") && has(types, n, "c7g.large"));
    CHECK(!has(types, n, "c6i.xlarge"));   /* the older tool's substring exclude */
    plan_strings_free(types, n);
    config_free(&c);

    CHECK_INT(load("backend: batch\nresults_url: s3://b/\nimage: i\nimage_arch: arm64\n"
                   "command: [x]\ninstance_types: [\"c*.large\"]\n", &c), 0);
    CHECK_INT(plan_instance_types(&c, &types, &n, err, sizeof err), 0);
    CHECK(has(types, n, "c7g.large") && has(types, n, "c6g.large"));
    CHECK(!has(types, n, "c7i.large"));   /* a glob keeps only the image's architecture */
    plan_strings_free(types, n);
    config_free(&c);

    CHECK_INT(load("backend: batch\nresults_url: s3://b/\nimage: i\ncommand: [x]\n"
                   "instance_types: [q9z]\n", &c), 0);
    CHECK_INT(plan_instance_types(&c, &types, &n, err, sizeof err), -1);
    CHECK(strstr(err, "\"q9z\" matches nothing known") != NULL);
    config_free(&c);

    CHECK_INT(load("backend: batch\nresults_url: s3://b/\nimage: i\ncommand: [x]\n"
                   "instance_types: [c9i.large]\n", &c), 0);   /* newer than the table */
    CHECK_INT(plan_instance_types(&c, &types, &n, err, sizeof err), 0);
    CHECK(n == 1 && strcmp(types[0], "c9i.large") == 0);
    plan_strings_free(types, n);
    config_free(&c);
}

TEST(factorial_points_and_tags)
{
    config c;
    plan_point *p = NULL;
    size_t n = 0;
    CHECK_INT(load("command: [x, ARGS]\nparameters:\n  threads: [1, 2]\n"
                   "  mode: {type: categorical, values: [fast, \"a b/c\"]}\n"
                   "  lr: {type: float, min: 0.001, max: 0.1, scale: log, count: 3}\n"
                   "gpus: [0, 1]\n", &c), 0);
    CHECK_INT(plan_points(&c, &p, &n, err, sizeof err), 0);
    CHECK_INT(n, 2 * 2 * 3 * 2);
    if (n == 24) {
        CHECK_STR(p[0].tag, "threads-1_mode-fast_lr-0.001_gpus-0");
        CHECK_STR(p[1].tag, "threads-1_mode-fast_lr-0.01_gpus-0");
        CHECK_STR(p[3].tag, "threads-1_mode-a~20b~2Fc_lr-0.001_gpus-0");
        CHECK_STR(p[23].tag, "threads-2_mode-a~20b~2Fc_lr-0.1_gpus-1");
        CHECK_INT(p[23].gpus, 1);
        for (size_t i = 0; i < n; i++) {
            /* only URI-unreserved characters: safe as a file name and an S3 key */
            CHECK(strspn(p[i].tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-._~") == strlen(p[i].tag));
            for (size_t j = 0; j < i; j++)
                CHECK(strcmp(p[i].tag, p[j].tag) != 0);
        }
    }
    plan_points_free(p, n);
    config_free(&c);
}

TEST(integer_counts_round_and_dedupe)
{
    config c;
    plan_point *p = NULL;
    size_t n = 0;
    CHECK_INT(load("command: [x]\nparameters:\n  k: {type: int, min: 1, max: 3, count: 5}\n"
                   "nodes: {min: 1, max: 2}\n", &c), 0);
    CHECK_INT(plan_points(&c, &p, &n, err, sizeof err), 0);
    CHECK_INT(n, 3 * 2);   /* 1, 1.5→2, 2, 2.5→3, 3 → 1, 2, 3 (× 2 node counts) */
    if (n == 6) {
        CHECK_STR(p[0].tag, "k-1_nodes-1");
        CHECK_STR(p[5].tag, "k-3_nodes-2");
        CHECK_INT(p[5].nodes, 2);
    }
    plan_points_free(p, n);
    config_free(&c);
}

TEST(no_parameters)
{
    config c;
    plan_point *p = NULL;
    size_t n = 0;
    CHECK_INT(load("command: [x]\n", &c), 0);
    CHECK_INT(plan_points(&c, &p, &n, err, sizeof err), 0);
    CHECK_INT(n, 1);
    if (n)
        CHECK_STR(p[0].tag, "default");
    plan_points_free(p, n);
    config_free(&c);
}

TEST(long_tags_are_cut_and_unique)
{
    config c;
    CHECK_INT(load("command: [x]\nparameters: {s: [a]}\n", &c), 0);
    char a[400], b[400];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[350] = 'y';
    char *va[] = {a}, *vb[] = {b};
    char *ta = plan_point_tag(&c, va, 1, 0), *tb = plan_point_tag(&c, vb, 1, 0);
    CHECK(ta && tb && strlen(ta) <= 200 && strlen(tb) <= 200);
    CHECK(ta && tb && strcmp(ta, tb) != 0);
    free(ta);
    free(tb);
    char *e = plan_escape_value("../x=1,2_-3~");
    CHECK_STR(e, "..~2Fx~3D1~2C2~5F-3~7E");
    free(e);
    config_free(&c);
}

TEST(argv_without_shell)
{
    config c;
    char **argv = NULL;
    CHECK_INT(load("command: [run.sh, \"--t={threads}\", ARGS, tail]\n"
                   "parameters:\n  threads: [4]\n  name: {type: categorical, values: [\"x; rm -rf /\"]}\n",
                   &c), 0);
    plan_point p = {0};
    char *vals[] = {"4", "x; rm -rf /"};
    p.values = vals;
    p.n_values = 2;
    CHECK_INT(plan_argv(&c, &p, &argv, err, sizeof err), 0);
    if (argv) {
        CHECK_STR(argv[0], "run.sh");
        CHECK_STR(argv[1], "--t=4");
        CHECK_STR(argv[2], "4");
        CHECK_STR(argv[3], "x; rm -rf /");   /* one element, never interpreted */
        CHECK_STR(argv[4], "tail");
        CHECK(argv[5] == NULL);
    }
    plan_argv_free(argv);
    config_free(&c);
}

TEST(params_json_round_trip)
{
    config c;
    CHECK_INT(load("command: [x]\nparameters:\n  a: [1]\n  b: [\"q\\\"uote\"]\n", &c), 0);
    char *vals[] = {"1", "q\"uote"};
    plan_point p = {.values = vals, .n_values = 2};
    char *json = plan_point_params_json(&c, &p);
    CHECK_STR(json, "{\"a\":\"1\",\"b\":\"q\\\"uote\"}");
    plan_point back = {0};
    CHECK_INT(plan_point_from_params_json(&c, json, &back), 0);
    CHECK(back.n_values == 2 && strcmp(back.values[1], "q\"uote") == 0);
    plan_strings_free(back.values, back.n_values);
    CHECK_INT(plan_point_from_params_json(&c, "{\"a\": \"1\"}", &back), -1);
    free(json);
    config_free(&c);
}

int main(void)
{
    RUN(table_lookups);
    RUN(families_expand_and_filter);
    RUN(factorial_points_and_tags);
    RUN(integer_counts_round_and_dedupe);
    RUN(no_parameters);
    RUN(long_tags_are_cut_and_unique);
    RUN(argv_without_shell);
    RUN(params_json_round_trip);
    return unit_done();
}

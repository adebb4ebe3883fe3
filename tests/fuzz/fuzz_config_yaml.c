/* libFuzzer target: the YAML config parser and the checks and plan that follow it (a config
 * is outside input). Invariants: a rejected config leaves an error naming a position; an
 * accepted one yields tags of URI-unreserved characters and argv without NULL holes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/config.h"
#include "orchestrator/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_plan(const config *c)
{
    char err[512];
    plan_point *p = NULL;
    size_t n = 0;
    if (c->search.method != SEARCH_NONE || plan_points(c, &p, &n, err, sizeof err) != 0)
        return;
    for (size_t i = 0; i < n && i < 64; i++) {
        if (!p[i].tag || strlen(p[i].tag) > 200 ||
            strspn(p[i].tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                             "0123456789-._~") != strlen(p[i].tag))
            abort();
        char **argv = NULL;
        if (plan_argv(c, &p[i], &argv, err, sizeof err) == 0) {
            size_t k = 0;
            while (argv[k])
                k++;
            if (k < c->n_command - (c->n_command > 0 ? 1 : 0))
                abort();   /* ARGS may vanish, nothing else may */
            plan_argv_free(argv);
        }
    }
    plan_points_free(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config c;
    char err[1024] = "";
    config_init(&c);
    if (config_parse_yaml("f.yaml", (const char *)data, size, &c, err, sizeof err) != 0) {
        if (strncmp(err, "f.yaml:", 7) != 0)
            abort();   /* every parse error names the file and a position */
    } else if (config_check(&c, err, sizeof err) == 0) {
        exercise_plan(&c);
    }
    config_free(&c);
    return 0;
}

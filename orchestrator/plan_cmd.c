/* The dry run behind `orchestrate plan`: config -> plan, printed, nothing else touched. */
#include "orchestrator/plan_cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "orchestrator/config.h"
#include "orchestrator/plan.h"

static void print_usage(void)
{
    fprintf(stderr, "usage: orchestrate plan CONFIG [--backend local|batch]\n");
}

/* Appends one argv element, single-quoted when a shell would split or expand it, so the
 * printed line can be pasted into a shell to try the job by hand. */
static void append_quoted(strbuf *sb, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_-+=./:,@%") == strlen(s)) {
        sb_puts(sb, s);
        return;
    }
    sb_putc(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sb_puts(sb, "'\\''");
        else
            sb_putc(sb, *s);
    }
    sb_putc(sb, '\'');
}

static void print_params(const config *cfg)
{
    for (size_t i = 0; i < cfg->n_params; i++) {
        const config_param *p = &cfg->params[i];
        printf("parameter %s: %s", p->name, param_kind_name(p->kind));
        if (p->has_range)
            printf(" %g..%g%s", p->min, p->max, p->scale == PARAM_SCALE_LOG ? " (log)" : "");
        if (p->n_values) {
            printf(" values");
            for (size_t k = 0; k < p->n_values; k++)
                printf("%s%s", k ? "," : " ", p->values[k]);
        }
        if (p->count)
            printf(" count %d", p->count);
        printf("\n");
    }
}

/* Every job of the plain plan: TYPE POINT_TAG REPLICATE ARGV. */
static int print_jobs(const config *cfg, char **types, size_t n_types)
{
    plan_point *points = NULL;
    size_t n_points = 0;
    char err[512];
    if (plan_points(cfg, &points, &n_points, err, sizeof err) != 0) {
        fprintf(stderr, "orchestrate plan: %s\n", err);
        return 1;
    }
    int rc = 0;
    size_t jobs = 0;
    for (size_t p = 0; p < n_points && rc == 0; p++) {
        char **argv = NULL;
        if (plan_argv(cfg, &points[p], &argv, err, sizeof err) != 0) {
            fprintf(stderr, "orchestrate plan: %s\n", err);
            rc = 1;
            break;
        }
        strbuf line = STRBUF_INIT;
        for (size_t a = 0; argv[a]; a++) {
            if (a)
                sb_putc(&line, ' ');
            append_quoted(&line, argv[a]);
        }
        for (size_t t = 0; t < n_types; t++)
            for (int r = 0; r < cfg->replicates; r++, jobs++)
                printf("job %s %s %d: %s\n", types[t], points[p].tag, r, sb_str(&line));
        sb_free(&line);
        plan_argv_free(argv);
    }
    if (rc == 0)
        printf("%zu jobs: %zu instance types x %zu points x %d replicates\n", jobs, n_types,
               n_points, cfg->replicates);
    plan_points_free(points, n_points);
    return rc;
}

static void print_search(const config *cfg, size_t n_types)
{
    const config_search *s = &cfg->search;
    printf("search: %s, up to %d rounds of %d points (x %d replicates", search_method_name(s->method),
           s->iterations, s->parallel_samples, cfg->replicates);
    if (s->tune_instance_type)
        printf(", instance type searched too");
    else
        printf(" x %zu instance types", n_types);
    printf("), minimising %s", s->metric ? s->metric : "runtime");
    if (s->budget_usd > 0)
        printf(", budget $%.2f", s->budget_usd);
    printf("\n");
}

static int plan_config(const char *path, const char *backend)
{
    config cfg;
    char err[1024];
    if (config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (backend)
        cfg.backend = strcmp(backend, "batch") == 0 ? CONFIG_BACKEND_BATCH : CONFIG_BACKEND_LOCAL;
    char **types = NULL;
    size_t n_types = 0;
    int rc = 1;
    if (plan_instance_types(&cfg, &types, &n_types, err, sizeof err) != 0) {
        fprintf(stderr, "orchestrate plan: %s\n", err);
        goto done;
    }
    printf("experiment %s on %s\n", cfg.experiment, config_backend_name(cfg.backend));
    printf("instance types:");
    for (size_t t = 0; t < n_types; t++)
        printf(" %s", types[t]);
    printf("\n");
    print_params(&cfg);
    if (cfg.search.method != SEARCH_NONE) {
        print_search(&cfg, n_types);
        rc = 0;
    } else {
        rc = print_jobs(&cfg, types, n_types);
    }
done:
    plan_strings_free(types, n_types);
    config_free(&cfg);
    return rc;
}

int cmd_plan(int argc, char **argv)
{
    const char *path = NULL, *backend = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            backend = argv[++i];
            if (strcmp(backend, "local") != 0 && strcmp(backend, "batch") != 0) {
                fprintf(stderr, "orchestrate plan: --backend is local or batch, not '%s'\n",
                        backend);
                return 2;
            }
        } else if ((strcmp(argv[i], "-j") == 0) && i + 1 < argc && !path) {
            path = argv[++i];
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            print_usage();
            return 2;
        }
    }
    if (!path) {
        print_usage();
        return 2;
    }
    return plan_config(path, backend);
}

#include "orchestrator/csv_read.h"
#include "orchestrator/report.h"
#include "orchestrator/report_model.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <unistd.h>

TEST(csv_quotes_crlf_and_short_rows)
{
    const char *text = "a,b,c\r\n1,\"x,\"\"y\"\"\nz\",3\r\n\n4,5\n\"\",,\n";
    csv_table t;
    char err[128];
    CHECK_INT(csv_parse(text, strlen(text), &t, err, sizeof err), 0);
    CHECK_INT(t.n_rows, 3);
    CHECK_STR(csv_get(&t, 0, csv_col(&t, "b")), "x,\"y\"\nz");
    CHECK_STR(csv_get(&t, 1, csv_col(&t, "c")), "");          /* short row */
    CHECK_STR(csv_get(&t, 2, 0), "");
    double v;
    CHECK_INT(csv_get_double(&t, 0, csv_col(&t, "c"), &v), 0);
    CHECK_NEAR(v, 3, 0);
    CHECK_INT(csv_get_double(&t, 0, csv_col(&t, "b"), &v), -1);
    CHECK_INT(csv_col(&t, "nope"), -1);
    csv_table_free(&t);
    CHECK_INT(csv_parse("a\n\"open", 7, &t, err, sizeof err), -1);
    CHECK_INT(csv_parse("", 0, &t, err, sizeof err), -1);
}

/* Hand-made results: a is faster, b is cheaper, c has no price, one run of a failed. */
static const char *RESULTS =
    "experiment,instance_type,point_tag,replicate,round,state,exit_code,runtime_seconds,"
    "cpu_seconds,peak_memory_bytes,custom_metric,nodes,price_per_hour,price_source,cost_usd,"
    "queue_seconds,backend_id,result_dir,param_threads\n"
    "exp,a.large,threads=2,0,0,succeeded,0,10,9,100,,1,0.36,config,0.001,,1,runs/a/0,2\n"
    "exp,a.large,threads=2,1,0,succeeded,0,14,9,100,,1,0.36,config,0.0014,,2,runs/a/1,2\n"
    "exp,a.large,threads=2,2,0,failed,3,1,1,100,,1,0.36,config,0.0001,,3,runs/a/2,2\n"
    "exp,b.large,threads=2,0,0,succeeded,0,20,9,100,,1,0.09,aws-price-list:us-east-1:2026-11-20,0.0005,,4,runs/b/0,2\n"
    "exp,b.large,threads=2,1,0,succeeded,0,20,9,100,,1,0.09,aws-price-list:us-east-1:2026-11-20,0.0005,,5,runs/b/1,2\n"
    "exp,c.large,threads=2,0,0,succeeded,0,30,9,100,,1,,,,,6,runs/c/0,2\n"
    "exp,d.large,threads=2,0,0,succeeded,0,25,9,100,,1,0.2,config,0.0014,,7,runs/d/0,2\n";

static char *fixture_dir(void)
{
    char tmpl[] = "/tmp/unit_report_XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        return NULL;
    char *csv = path_join(d, "results.csv");
    write_file_atomic(csv, RESULTS, strlen(RESULTS));
    free(csv);
    return strdup(d);
}

TEST(model_statistics_ranking_winners_and_front)
{
    char *dir = fixture_dir();
    char *csv = path_join(dir, "results.csv");
    report_model m;
    char err[256];
    CHECK_INT(report_model_load(csv, "runtime", &m, err, sizeof err), 0);
    CHECK_INT(m.n_runs, 7);
    CHECK_INT(m.n_groups, 4);
    const report_group *a = &m.groups[0];
    CHECK_STR(a->instance_type, "a.large");
    CHECK_INT(a->n, 3);
    CHECK_INT(a->n_ok, 2);
    CHECK_INT(a->n_failed, 1);
    CHECK_NEAR(a->runtime_mean, 12, 1e-12);              /* the failed run is not averaged */
    CHECK_NEAR(a->runtime_std, sqrt(8), 1e-12);
    CHECK_NEAR(a->runtime_sem, 2, 1e-12);
    CHECK_NEAR(a->cost_mean, 0.0012, 1e-15);
    CHECK_INT(a->rank, 1);
    CHECK_INT(m.groups[m.ranked[1]].rank, 2);
    CHECK_STR(m.groups[m.best_fastest].instance_type, "a.large");
    CHECK_STR(m.groups[m.best_cheapest].instance_type, "b.large");
    CHECK(isnan(m.groups[2].cost_mean));                  /* no price: no cost */
    CHECK(m.groups[0].pareto && m.groups[1].pareto);
    CHECK(!m.groups[3].pareto);                           /* d: slower and dearer than b */
    CHECK(!m.groups[2].pareto);                           /* c: no cost, off the chart */
    CHECK_INT(m.n_params, 1);
    report_model_free(&m);

    CHECK_INT(report_model_load(csv, "cost", &m, err, sizeof err), 0);
    CHECK_STR(m.groups[m.ranked[0]].instance_type, "b.large");
    CHECK_INT(m.n_ranked, 3);                             /* c has no cost to rank by */
    report_model_free(&m);
    /* another search metric: ranked by runtime, not a failed report */
    CHECK_INT(report_model_load(csv, "peak_memory_bytes", &m, err, sizeof err), 0);
    CHECK_INT(m.objective, OBJ_RUNTIME);
    report_model_free(&m);
    free(csv);
    free(dir);
}

static int contains(const char *path, const char *needle)
{
    char *text = NULL;
    size_t len;
    if (read_file(path, &text, &len) != 0)
        return 0;
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

TEST(report_write_and_table_from_the_output_dir_alone)
{
    char *dir = fixture_dir();
    char *cfg = path_join(dir, "config.yaml");
    const char *yaml = "experiment: exp\naws_secret_access_key: abcdef123\n";
    write_file_atomic(cfg, yaml, strlen(yaml));
    char *snap = path_join(dir, "prices.json");
    const char *prices =
        "{\"region\": \"us-east-1\", \"kind\": \"on-demand\", \"fetched_at\": "
        "\"2020-01-01T00:00:00.000Z\", \"prices\": {\"c.large\": {\"usd_per_hour\": null, "
        "\"source\": \"\", \"note\": \"no On-demand Linux price for c.large in us-east-1\"}}}";
    write_file_atomic(snap, prices, strlen(prices));
    free(snap);
    char err[256];
    CHECK_INT(report_write(dir, NULL, err, sizeof err), 0);
    char *html = path_join(dir, "report.html");
    CHECK(contains(html, "id=\"results-table\""));
    CHECK(contains(html, "aws-price-list:us-east-1:2026-11-20"));
    CHECK(contains(html, "fetched 2026-11-20"));
    CHECK(contains(html, "No price for <b>c.large</b>: its cost is left empty (never counted "
                         "as 0). no On-demand Linux price for c.large in us-east-1"));
    CHECK(contains(html, "days ago (2020-01-01)"));       /* a stale price list is flagged */
    CHECK(!contains(html, "abcdef123"));                  /* masked */
    CHECK(!contains(html, "http://") && !contains(html, "https://"));
    CHECK(contains(html, "data:image/svg+xml;base64,"));  /* gnuplot is a build dependency */
    char *png = path_join(dir, "figures/cost_vs_runtime.png");
    CHECK(file_exists(png));

    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    CHECK_INT(report_print_table(dir, NULL, f, err, sizeof err), 0);
    fclose(f);
    CHECK(out && strstr(out, "a.large") && strstr(out, "fastest"));
    CHECK(out && strstr(out, "1 of 7 runs did not succeed"));
    free(out);
    free(png);
    free(html);
    free(cfg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    free(dir);
}

/* A search: three rounds of points over two parameters, one failed evaluation; the point
 * threads=6 has two replicates whose best run (15.5) beats every other run but whose mean
 * (16.5) does not beat threads=5 (16). */
static const char *SEARCH =
    "experiment,instance_type,point_tag,replicate,round,state,exit_code,runtime_seconds,"
    "cpu_seconds,peak_memory_bytes,custom_metric,nodes,price_per_hour,price_source,cost_usd,"
    "queue_seconds,backend_id,result_dir,param_threads,param_layout\n"
    "s,c7g.large,layout=row;threads=1,0,0,succeeded,0,40,1,1,,1,,,,,,r0,1,row\n"
    "s,c7g.large,layout=col;threads=8,0,0,succeeded,0,25,1,1,,1,,,,,,r1,8,col\n"
    "s,c7g.large,layout=row;threads=4,0,1,succeeded,0,18,1,1,,1,,,,,,r2,4,row\n"
    "s,c7g.large,layout=col;threads=2,0,1,failed,137,,1,1,,1,,,,,,r3,2,col\n"
    "s,c7g.large,layout=row;threads=6,0,2,succeeded,0,15.5,1,1,,1,,,,,,r4,6,row\n"
    "s,c7g.large,layout=row;threads=6,1,2,succeeded,0,17.5,1,1,,1,,,,,,r4b,6,row\n"
    "s,c7g.large,layout=row;threads=5,0,2,succeeded,0,16,1,1,,1,,,,,,r5,5,row\n";

TEST(search_figures_convergence_and_parameters)
{
    char tmpl[] = "/tmp/unit_report_search_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    char *csv = path_join(dir, "results.csv");
    write_file_atomic(csv, SEARCH, strlen(SEARCH));
    char err[256];
    CHECK_INT(report_write(dir, NULL, err, sizeof err), 0);
    char *html = path_join(dir, "report.html");
    char *conv = path_join(dir, "figures/convergence.svg");
    char *params = path_join(dir, "figures/parameters.svg");
    char *dat = path_join(dir, "figures/data/convergence.dat");
    CHECK(file_exists(conv) && file_exists(params));
    CHECK(contains(html, "id=\"fig-convergence\""));
    CHECK(!contains(html, "gnuplot failed"));
    /* one evaluation per point, valued by the mean of its runs, as the search and the
     * ranking count it */
    CHECK(contains(html, "6 points evaluated in 3 rounds; the best runtime (16, mean of its "
                         "runs) was reached at evaluation 6"));
    CHECK(contains(dat, "5\t2\t16.5\t16.5"));        /* evaluation, round, value, best */
    CHECK(contains(dat, "6\t2\t16\t16"));
    CHECK(contains(dat, "4\t1\tNaN\t18"));           /* the failed one keeps the best */
    char *runs = path_join(dir, "figures/data/convergence_runs.dat");
    CHECK(contains(runs, "5\t15.5\n") && contains(runs, "5\t17.5\n"));
    free(runs);
    /* the parameter figure highlights the runs of the best point, not the best run */
    char *pdat = path_join(dir, "figures/data/parameters.dat");
    CHECK(contains(pdat, "\t5\t0\t16\t1\n") && contains(pdat, "\t6\t0\t15.5\t0\n"));
    free(pdat);
    free(dat);
    free(params);
    free(conv);
    free(html);
    free(csv);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(report_without_results_is_an_error)
{
    char err[256] = "";
    CHECK_INT(report_write("/nonexistent/dir", NULL, err, sizeof err), -1);
    CHECK(strstr(err, "results.csv") != NULL);
}

int main(void)
{
    log_init("test_report", LOG_ERROR);
    RUN(csv_quotes_crlf_and_short_rows);
    RUN(model_statistics_ranking_winners_and_front);
    RUN(report_write_and_table_from_the_output_dir_alone);
    RUN(search_figures_convergence_and_parameters);
    RUN(report_without_results_is_an_error);
    return unit_done();
}

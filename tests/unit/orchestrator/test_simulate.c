/* `orchestrate simulate`'s pieces: the objective expression language, loading a table into
 * workloads, and replays on a published CherryPick table (read in place from ../shared). */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "orchestrator/simulate.h"
#include "orchestrator/simulate_expr.h"
#include "tests/unit/unit.h"

/* A row of named cells for the expression tests. */
static const char *const names[] = { "time", "num_machines", "vm_cost", "vm", "acc", "odd col" };
static const char *const row[] = { "3600", "4", "0.5", "c4.large", "0.9", "7" };

static int lookup(void *ctx, const char *name)
{
    (void)ctx;
    for (int i = 0; i < 6; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static const char *cell(void *ctx, int col)
{
    (void)ctx;
    return row[col];
}

static double ev(const char *text)
{
    char err[256];
    sim_expr *e = sim_expr_compile(text, lookup, NULL, err, sizeof err);
    if (!e) {
        fprintf(stderr, "  compile %s: %s\n", text, err);
        return -12345;
    }
    double v = sim_expr_eval(e, cell, NULL);
    sim_expr_free(e);
    return v;
}

static int compiles(const char *text)
{
    char err[256];
    sim_expr *e = sim_expr_compile(text, lookup, NULL, err, sizeof err);
    sim_expr_free(e);
    return e != NULL;
}

TEST(expression_arithmetic_and_columns)
{
    CHECK_NEAR(ev("time/3600*num_machines*vm_cost"), 2.0, 1e-12);
    CHECK_NEAR(ev("1 + 2 * 3"), 7, 0);
    CHECK_NEAR(ev("(1 + 2) * 3"), 9, 0);
    CHECK_NEAR(ev("2 ^ 3 ^ 2"), 512, 0);       /* right-associative */
    CHECK_NEAR(ev("-2 ^ 2"), -4, 0);
    CHECK_NEAR(ev("7 % 4 - 10 / 4"), 0.5, 1e-12);
    CHECK_NEAR(ev("`odd col` * 2"), 14, 0);
    CHECK_NEAR(ev("log(exp(2)) + sqrt(16) + abs(-1) + min(3, 1, 2) + max(1, 5)"), 13, 1e-12);
    CHECK_NEAR(ev("pow(2, 10) + floor(2.7) + ceil(2.1) + log2(8) + log10(100)"), 1024 + 2 + 3 + 3 + 2, 1e-9);
    CHECK_NEAR(ev("1e3 + .5"), 1000.5, 0);
}

TEST(expression_logic_strings_and_nan)
{
    CHECK_NEAR(ev("vm == \"c4.large\""), 1, 0);
    CHECK_NEAR(ev("vm != 'c4.large'"), 0, 0);
    CHECK_NEAR(ev("(vm == 'c4.large') * 0.1 + (vm == 'm4.large') * 0.2"), 0.1, 1e-15);
    CHECK_NEAR(ev("acc >= 0.85 ? time : nan"), 3600, 0);
    CHECK(isnan(ev("acc >= 0.95 ? time : nan")));
    CHECK_NEAR(ev("acc > 0.5 && num_machines <= 4 || 0"), 1, 0);
    CHECK_NEAR(ev("!(acc < 0.5)"), 1, 0);
    CHECK_NEAR(ev("if(acc < 0.5, 1, 2)"), 2, 0);
    CHECK_NEAR(ev("isnan(vm)"), 1, 0);          /* text is not a number */
    CHECK_NEAR(ev("1 < 2 ? 3 < 4 ? 5 : 6 : 7"), 5, 0);
    CHECK(isnan(ev("nan")));
}

TEST(expression_errors)
{
    CHECK(!compiles("nosuchcolumn + 1"));
    CHECK(!compiles("(1 + 2"));
    CHECK(!compiles("1 +"));
    CHECK(!compiles("foo(1)"));
    CHECK(!compiles("min(1)"));
    CHECK(!compiles("1 ? 2"));
    CHECK(!compiles("'unterminated"));
    CHECK(!compiles("1 2"));
    CHECK(!compiles(""));
    /* Deep nesting is refused, not a stack overflow. */
    char deep[4096];
    size_t k = 0;
    for (int i = 0; i < 1000; i++)
        deep[k++] = '(';
    deep[k++] = '1';
    for (int i = 0; i < 1000; i++)
        deep[k++] = ')';
    deep[k] = '\0';
    CHECK(!compiles(deep));
    char err[256];
    CHECK(sim_expr_compile("1 + $", lookup, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "column 5") != NULL);
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_simulate.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

TEST(load_groups_merges_and_filters)
{
    const char *csv =
        "\"app\",\"vm\",\"n\",\"time\",\"ok\"\n"
        "a,c5.large,2,100,1\n"
        "a,c5.large,2,120,1\n"      /* same configuration: averaged to 110 */
        "a,m5.large,4,50,1\n"
        "a,m5.large,8,,1\n"         /* empty time: not usable */
        "a,r5.large,8,10,0\n"       /* filtered out by --where */
        "\"b\",\"c5.large\",\"2\",\"30\",1\n";
    char *path = write_temp(csv);
    CHECK(path != NULL);
    if (!path)
        return;
    const char *params[] = { "vm", "n" };
    /* The price: n nodes at a made-up $/h by type, which the c5.large rows repeat. */
    sim_load_options lo = { params, 2, "time * n", "app", "ok == 1", "n",
                            "n * (vm == \"c5.large\" ? 0.1 : 0.2)" };
    sim_workload *ws = NULL;
    size_t n = 0;
    char err[256];
    CHECK(sim_load(path, &lo, &ws, &n, err, sizeof err) == 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK(strstr(ws[0].name, ":a") != NULL);
        CHECK_INT(ws[0].n_rows, 4);
        CHECK_INT(ws[0].n, 3);
        CHECK_NEAR(ws[0].objective[0], 220, 1e-9);
        CHECK_NEAR(ws[0].objective[1], 200, 1e-9);
        CHECK(isnan(ws[0].objective[2]));
        CHECK_NEAR(ws[0].best, 200, 1e-9);
        CHECK_INT(ws[0].n_target[1], 1);  /* 220 is 10% above 200: inside 10%, not 5% */
        CHECK_INT(ws[0].n_target[2], 2);
        CHECK_INT(ws[0].space.dims[0].kind, SDIM_INSTANCE);
        CHECK(ws[0].space.cluster.on);   /* --nodes n: the cluster's totals are encoded */
        CHECK(ws[0].price != NULL);
        if (ws[0].price) {
            CHECK_NEAR(ws[0].price[0], 0.2, 1e-12);   /* the mean of two equal prices */
            CHECK_NEAR(ws[0].price[1], 0.8, 1e-12);
            CHECK_NEAR(ws[0].price[2], 1.6, 1e-12);   /* a price without a usable time */
        }
        CHECK_INT(ws[1].n, 1);
    }
    sim_workloads_free(ws, n);
    /* A row without a positive price is an error that names its row and line. */
    ws = NULL;
    n = 0;
    sim_load_options lp = { params, 2, "time", "app", NULL, "n", "n - 2" };
    CHECK(sim_load(path, &lp, &ws, &n, err, sizeof err) != 0);
    CHECK(strstr(err, "--price is not a positive number on row 1 (line 2)") != NULL);
    sim_workloads_free(ws, n);
    /* An unknown column names itself. */
    ws = NULL;
    n = 0;
    const char *bad[] = { "nope" };
    sim_load_options lb = { bad, 1, "time", NULL, NULL, NULL, NULL };
    CHECK(sim_load(path, &lb, &ws, &n, err, sizeof err) != 0);
    CHECK(strstr(err, "nope") != NULL);
    sim_workloads_free(ws, n);
    /* A node count must be a whole-number column. */
    ws = NULL;
    n = 0;
    sim_load_options ln = { params, 2, "time", NULL, NULL, "vm", NULL };
    CHECK(sim_load(path, &ln, &ws, &n, err, sizeof err) != 0);
    CHECK(strstr(err, "vm") != NULL);
    sim_workloads_free(ws, n);
    unlink(path);
    CHECK_NEAR(sim_expected_random(47, 1), 24, 1e-12);
}

/* CherryPick's TPC-H table (NSDI 2017, republished by Lynceus): 52 configurations, one
 * cheapest. Random order needs (52+1)/(1+1) = 26.5 evaluations on average; bayes with
 * seeds 1..5 needs at most 16 in every replay and at most 13 at the median (measured
 * with the cluster's totals: 6-7). Every replay is deterministic for its seed. */
TEST(simulate_cherrypick_tpch_finds_best_row)
{
    const char *path = "../shared/data/cloud-configs/cherrypick/CP_tpch.csv";
    const char *params[] = { "vm_name", "num_machines" };
    sim_load_options lo = { params, 2, "time/3600*num_machines*vm_cost", NULL, NULL,
                            "num_machines", NULL };
    sim_workload *ws = NULL;
    size_t n = 0;
    char err[256];
    CHECK(sim_load(path, &lo, &ws, &n, err, sizeof err) == 0);
    CHECK_INT(n, 1);
    if (n != 1) {
        fprintf(stderr, "  %s: %s\n", path, err);
        sim_workloads_free(ws, n);
        return;
    }
    CHECK_INT(ws[0].n, 52);
    CHECK_NEAR(ws[0].best, 0.249916, 1e-5);
    search_options o;
    search_options_default(&o);
    size_t evals[5], evals_seed1 = 0;
    for (int seed = 1; seed <= 5; seed++) {
        sim_result r;
        o.seed = (uint64_t)seed;
        CHECK(sim_replay(&ws[0], &o, 1, &r, err, sizeof err) == 0);
        evals[seed - 1] = r.evals[0];
        if (seed == 1)
            evals_seed1 = r.evals[0];
        printf("  seed %d: best after %zu evaluations (within 10%%: %zu)\n", seed, r.evals[0],
               r.evals[2]);
        CHECK(r.evals[0] >= 1 && r.evals[0] <= 16);
        CHECK(r.evals[2] <= r.evals[0]);
        /* Same seed, same replay. */
        sim_result again;
        CHECK(sim_replay(&ws[0], &o, 1, &again, err, sizeof err) == 0);
        CHECK_INT(again.evals[0], r.evals[0]);
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (evals[j] < evals[i]) {
                size_t t = evals[i];
                evals[i] = evals[j];
                evals[j] = t;
            }
    CHECK(evals[2] <= 13);
    /* q = 4: rounds shrink, every point is still a row. */
    sim_result r4;
    o.seed = 1;
    CHECK(sim_replay(&ws[0], &o, 4, &r4, err, sizeof err) == 0);
    CHECK(r4.evals[0] >= 1 && r4.evals[0] <= 24);
    CHECK(r4.rounds[0] * 4 >= r4.evals[0]);
    /* The trace: every evaluation in order, no configuration twice, rounds of at most q,
     * ending with the round that reached the best row. */
    sim_pick *picks = calloc(ws[0].n, sizeof *picks);
    for (size_t q = 1; q <= 4; q += 3) {
        sim_result tr;
        CHECK(sim_replay_traced(&ws[0], &o, q, &tr, picks, err, sizeof err) == 0);
        CHECK_INT(tr.n_evals, tr.evals[0]);
        CHECK_INT(picks[tr.n_evals - 1].round, tr.rounds[0]);
        int best_seen = 0;
        for (size_t i = 0; i < tr.n_evals; i++) {
            CHECK(picks[i].config < ws[0].n);
            CHECK(picks[i].round == i / q + 1);
            for (size_t j = 0; j < i; j++)
                CHECK(picks[j].config != picks[i].config);
            best_seen |= ws[0].objective[picks[i].config] == ws[0].best;
        }
        CHECK(best_seen);
        CHECK_INT(tr.evals[0], q == 1 ? evals_seed1 : r4.evals[0]);
    }
    free(picks);
    sim_workloads_free(ws, n);
}

int main(void)
{
    RUN(expression_arithmetic_and_columns);
    RUN(expression_logic_strings_and_nan);
    RUN(expression_errors);
    RUN(load_groups_merges_and_filters);
    RUN(simulate_cherrypick_tpch_finds_best_row);
    return unit_done();
}

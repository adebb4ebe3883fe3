/* GP-Hedge (acquisition: hedge) inside the search: each arm's gain is minus the posterior
 * mean, under the model that has seen the results, at the points it nominated, summed over
 * decisions; the gains survive a save and load of the search state, and a resumed search
 * proposes what the uninterrupted one does. */
#include <math.h>
#include <stdlib.h>

#include "orchestrator/search_internal.h"
#include "tests/unit/unit.h"

static void int_space(search_space *sp)
{
    char err[256];
    search_space_init(sp);
    CHECK(search_space_add_int(sp, "a", 1, 6, 0, err, sizeof err) == 0);
    CHECK(search_space_add_int(sp, "b", 1, 5, 0, err, sizeof err) == 0);
    CHECK(search_space_finalize(sp, err, sizeof err) == 0);
}

static double bowl(const double *x)
{
    return 1 + (x[0] - 4) * (x[0] - 4) + 0.5 * (x[1] - 2) * (x[1] - 2);
}

static search *hedge_search(const search_space *sp)
{
    search_options o;
    search_options_default(&o);
    o.acquisition = SEARCH_ACQ_HEDGE;
    o.seed = 3;
    o.gp_restarts = 0;  /* the test's own model, warm-started, lands on the same fit */
    char err[256];
    return search_new(sp, &o, err, sizeof err);
}

/* Asks for q points and observes them all. */
static size_t ask_and_observe(search *s, size_t q, double *x)
{
    char err[256];
    size_t n = 0;
    CHECK(search_ask(s, NULL, 0, q, x, &n, err, sizeof err) == 0);
    for (size_t i = 0; i < n; i++) {
        search_observation ob = { x + i * 2, bowl(x + i * 2), 0, 0, 0, NAN };
        CHECK(search_observe(s, &ob, err, sizeof err) == 0);
    }
    return n;
}

TEST(gains_are_minus_posterior_means_at_the_nominees)
{
    search_space sp;
    int_space(&sp);
    search *s = hedge_search(&sp);
    double x[4 * 2], nominees[3 * 2];
    char err[256];
    CHECK_INT(ask_and_observe(s, 3, x), 3);  /* the initial design: no decision yet */
    CHECK_INT(s->n_hedge, 0);
    CHECK_INT(ask_and_observe(s, 1, x), 1);  /* the first decision, gains still 0 */
    CHECK_INT(s->n_hedge, 1);
    for (int a = 0; a < 3; a++)
        CHECK(s->hedge_gain[a] == 0);
    memcpy(nominees, s->hedge_nominee, sizeof nominees);
    /* The next ask credits the first decision's nominees under the model that has seen
     * its result, then records its own decision. */
    size_t n = 0;
    CHECK(search_ask(s, NULL, 0, 1, x, &n, err, sizeof err) == 0 && n == 1);
    CHECK_INT(s->n_hedge, 1);
    search_model m;
    CHECK(search_model_build(s, &m, err, sizeof err) == 0);
    double enc[2], mu, var;
    int differ = 0;
    for (int a = 0; a < 3; a++) {
        search_space_encode(&sp, nominees + a * 2, enc);
        search_gp_predict(&m.gp, enc, &mu, &var);
        CHECK_NEAR(s->hedge_gain[a], -mu, 1e-6);
        differ |= s->hedge_gain[a] != s->hedge_gain[0];
    }
    search_model_free(&m);
    /* The gains of a later round add to these (and EI's, PI's and UCB's nominees on this
     * bowl are not all the same point, so the arms part). */
    double before[3];
    memcpy(before, s->hedge_gain, sizeof before);
    search_observation ob = { x, bowl(x), 0, 0, 0, NAN };
    CHECK(search_observe(s, &ob, err, sizeof err) == 0);
    memcpy(nominees, s->hedge_nominee, sizeof nominees);
    CHECK(search_ask(s, NULL, 0, 1, x, &n, err, sizeof err) == 0 && n == 1);
    CHECK(search_model_build(s, &m, err, sizeof err) == 0);
    for (int a = 0; a < 3; a++) {
        search_space_encode(&sp, nominees + a * 2, enc);
        search_gp_predict(&m.gp, enc, &mu, &var);
        CHECK_NEAR(s->hedge_gain[a], before[a] - mu, 1e-6);
        differ |= s->hedge_gain[a] != s->hedge_gain[0];
    }
    CHECK(differ);
    search_model_free(&m);
    search_free(s);
    search_space_free(&sp);
}

/* An uninterrupted hedge search and one rebuilt from its observations and saved state (as
 * the driver does on every round) propose the same points; without the state they may
 * not, and the state's hedge part round-trips exactly. */
TEST(resumed_hedge_search_proposes_the_same)
{
    search_space sp;
    int_space(&sp);
    search *s = hedge_search(&sp);
    double x[2 * 2], y[2 * 2];
    char err[256];
    for (int round = 0; round < 5; round++)
        ask_and_observe(s, 2, x);
    char *state = search_state_save(s);
    CHECK(state && strstr(state, " hedge ") != NULL);
    search *t = hedge_search(&sp);
    CHECK(search_state_load(t, state, err, sizeof err) == 0);
    char *again = search_state_save(t);
    CHECK_STR(again, state);
    for (size_t i = 0; i < s->n_obs; i++) {
        search_observation ob = { s->obs_x + i * 2, s->obs_value[i], 0, 0, 0, NAN };
        CHECK(search_observe(t, &ob, err, sizeof err) == 0);
    }
    for (int round = 0; round < 3; round++) {
        size_t n = 0, m = 0;
        CHECK(search_ask(s, NULL, 0, 2, x, &n, err, sizeof err) == 0);
        CHECK(search_ask(t, NULL, 0, 2, y, &m, err, sizeof err) == 0);
        CHECK_INT(n, m);
        CHECK(memcmp(x, y, n * 2 * sizeof *x) == 0);
        for (size_t i = 0; i < n; i++) {
            search_observation ob = { x + i * 2, bowl(x + i * 2), 0, 0, 0, NAN };
            CHECK(search_observe(s, &ob, err, sizeof err) == 0);
            CHECK(search_observe(t, &ob, err, sizeof err) == 0);
        }
    }
    for (int a = 0; a < 3; a++)
        CHECK(s->hedge_gain[a] == t->hedge_gain[a]);
    CHECK(search_state_load(t, "gp-theta hedge 1 2", err, sizeof err) != 0);
    CHECK(search_state_load(t, "gp-theta hedge 0 0 0 4 1 1 2", err, sizeof err) != 0);
    free(state);
    free(again);
    search_free(s);
    search_free(t);
    search_space_free(&sp);
}

int main(void)
{
    RUN(gains_are_minus_posterior_means_at_the_nominees);
    RUN(resumed_hedge_search_proposes_the_same);
    return unit_done();
}

#include "orchestrator/costs.h"
#include "common/log.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <unistd.h>

TEST(cost_formula_is_runtime_times_price_times_nodes)
{
    CHECK_NEAR(cost_usd(3600, 0.096, 1), 0.096, 1e-15);
    CHECK_NEAR(cost_usd(90, 0.5, 4), 90.0 / 3600 * 0.5 * 4, 1e-15);
    CHECK_NEAR(cost_usd(90, 0.5, 0), 90.0 / 3600 * 0.5, 1e-15);  /* nodes < 1 is one node */
    CHECK(isnan(cost_usd(90, NAN, 1)));                          /* no price: no cost */
    CHECK(isnan(cost_usd(NAN, 0.5, 1)));
    CHECK(isnan(cost_usd(-1, 0.5, 1)));
    CHECK_NEAR(cost_usd(0, 0.5, 1), 0, 0);                        /* a real zero stays zero */
}

TEST(queue_time_only_when_both_stamps_are_known)
{
    CHECK_NEAR(queue_seconds(1000, 1042.5), 42.5, 1e-12);
    CHECK(isnan(queue_seconds(0, 1042.5)));
    CHECK(isnan(queue_seconds(1000, 0)));
    CHECK(isnan(queue_seconds(1050, 1000)));
}

TEST(missing_price_gives_an_empty_field_and_a_note)
{
    char dir[] = "/tmp/unit_costs_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    price_override ov[] = { { "local-small", 0.05 } };
    price_options opt = { .region = "us-east-1", .cache_dir = dir, .overrides = ov,
                          .n_overrides = 1 };
    price_book *b = NULL;
    char err[256], field[64];
    CHECK_INT(price_book_open(&opt, &b, err, sizeof err), 0);
    job_cost c;
    costs_for_job(b, "local-small", 720, 2, 100, 130, &c);
    CHECK_NEAR(c.cost_usd, 720.0 / 3600 * 0.05 * 2, 1e-15);
    CHECK_NEAR(c.queue_seconds, 30, 1e-12);
    CHECK_STR(c.price_source, "config");
    CHECK_STR(c.note, "");
    costs_format(c.cost_usd, field, sizeof field);
    CHECK_STR(field, "0.02");

    costs_for_job(b, "m5.large", 720, 1, 0, 0, &c);   /* no cache in dir: no price */
    CHECK(isnan(c.price_per_hour) && isnan(c.cost_usd) && isnan(c.queue_seconds));
    CHECK_STR(c.price_source, "");
    CHECK(strstr(c.note, "orchestrate prices --update") != NULL);
    costs_format(c.cost_usd, field, sizeof field);
    CHECK_STR(field, "");                               /* empty, never "0" */
    price_book_free(b);
    rmdir(dir);
}

int main(void)
{
    log_init("test_costs", LOG_ERROR);
    RUN(cost_formula_is_runtime_times_price_times_nodes);
    RUN(queue_time_only_when_both_stamps_are_known);
    RUN(missing_price_gives_an_empty_field_and_a_note);
    return unit_done();
}

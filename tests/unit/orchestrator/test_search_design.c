/* Designs: Sobol against published points, Latin hypercube strata, the grid as a true full
 * factorial, mapping to the space. */
#include <math.h>
#include <stdlib.h>

#include "orchestrator/search_design.h"
#include "orchestrator/search_space.h"
#include "tests/unit/unit.h"

/* The first eight points of the unscrambled Sobol sequence in three dimensions (Joe-Kuo
 * direction numbers; the same as scipy.stats.qmc.Sobol(d=3, scramble=False)). */
TEST(sobol_first_points_match_published_values)
{
    static const double want[8][3] = {
        { 0, 0, 0 },           { 0.5, 0.5, 0.5 },     { 0.75, 0.25, 0.25 },
        { 0.25, 0.75, 0.75 },  { 0.375, 0.375, 0.625 }, { 0.875, 0.875, 0.125 },
        { 0.625, 0.125, 0.875 }, { 0.125, 0.625, 0.375 },
    };
    for (int i = 0; i < 8; i++) {
        double u[3];
        CHECK(search_sobol_point(3, (uint64_t)i, NULL, u) == 0);
        for (int d = 0; d < 3; d++)
            CHECK_NEAR(u[d], want[i][d], 1e-12);
    }
    double big[SEARCH_SOBOL_MAX_DIMS + 1];
    CHECK(search_sobol_point(SEARCH_SOBOL_MAX_DIMS, 5, NULL, big) == 0);
    CHECK(search_sobol_point(SEARCH_SOBOL_MAX_DIMS + 1, 5, NULL, big) != 0);
}

/* Every dyadic box of 2^k points per dimension gets exactly one point in the first 2^k
 * points (the (0, m, s)-net property, one dimension at a time), in all 32 dimensions. */
TEST(sobol_is_balanced_in_every_dimension)
{
    enum { N = 64, D = SEARCH_SOBOL_MAX_DIMS };
    for (int d = 0; d < D; d++) {
        int count[N] = { 0 };
        for (int i = 0; i < N; i++) {
            double u[D];
            search_sobol_point(D, (uint64_t)i, NULL, u);
            count[(int)(u[d] * N)]++;
        }
        for (int b = 0; b < N; b++)
            CHECK_INT(count[b], 1);
    }
}

TEST(lhs_puts_one_point_per_stratum)
{
    enum { N = 17, D = 5 };
    double u[N * D];
    CHECK(search_design_unit(SEARCH_DESIGN_LHS, D, N, 42, u) == 0);
    for (int d = 0; d < D; d++) {
        int seen[N] = { 0 };
        for (int i = 0; i < N; i++) {
            CHECK(u[i * D + d] >= 0 && u[i * D + d] < 1);
            seen[(int)(u[i * D + d] * N)]++;
        }
        for (int b = 0; b < N; b++)
            CHECK_INT(seen[b], 1);
    }
    /* Seeded: the same seed gives the same design, another seed another. */
    double v[N * D], w[N * D];
    search_design_unit(SEARCH_DESIGN_LHS, D, N, 42, v);
    search_design_unit(SEARCH_DESIGN_LHS, D, N, 43, w);
    CHECK(memcmp(u, v, sizeof u) == 0);
    CHECK(memcmp(u, w, sizeof u) != 0);
}

TEST(grid_is_a_full_factorial)
{
    char err[256];
    search_space sp;
    search_space_init(&sp);
    const char *modes[] = { "a", "b", "c" };
    CHECK(search_space_add_int(&sp, "threads", 1, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_add_float(&sp, "lr", 1e-4, 1e-1, 1, err, sizeof err) == 0);
    CHECK(search_space_add_categorical(&sp, "mode", modes, 3, err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    search_grid g;
    size_t counts[3] = { 0, 4, 0 };
    CHECK(search_grid_build(&g, &sp, counts, err, sizeof err) == 0);
    CHECK_INT(g.n_values[0], 4);   /* every integer 1..4 */
    CHECK_INT(g.n_values[1], 4);
    CHECK_INT(g.n_values[2], 3);
    CHECK_NEAR(search_grid_size(&g), 4 * 4 * 3, 0);
    /* Log spacing: 1e-4, 1e-3, 1e-2, 1e-1. */
    CHECK_NEAR(log10(g.values[1][1]), -3, 1e-9);
    /* Every combination appears exactly once. */
    int seen[4][4][3] = { { { 0 } } };
    for (double i = 0; i < search_grid_size(&g); i++) {
        double x[3];
        search_grid_point(&g, i, x);
        int a = (int)x[0] - 1, b = (int)lround(log10(x[1])) + 4, c = (int)x[2];
        CHECK(a >= 0 && a < 4 && b >= 0 && b < 4 && c >= 0 && c < 3);
        if (a >= 0 && a < 4 && b >= 0 && b < 4 && c >= 0 && c < 3)
            seen[a][b][c]++;
    }
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 3; c++)
                CHECK_INT(seen[a][b][c], 1);
    /* Explicit values replace a dimension's list. */
    double threads[] = { 1, 2, 8 };
    CHECK(search_grid_set_values(&g, 0, threads, 3) == 0);
    CHECK_NEAR(search_grid_size(&g), 3 * 4 * 3, 0);
    search_grid_free(&g);
    search_space_free(&sp);
}

TEST(unit_mapping_gives_integers_equal_shares)
{
    char err[256];
    search_space sp;
    search_space_init(&sp);
    CHECK(search_space_add_int(&sp, "n", 1, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    int count[5] = { 0 };
    for (int i = 0; i < 400; i++) {
        double u = (i + 0.5) / 400, x;
        search_space_from_unit(&sp, &u, &x);
        count[(int)x]++;
    }
    for (int v = 1; v <= 4; v++)
        CHECK_INT(count[v], 100);
    /* unit_of is the inverse on canonical points. */
    for (double v = 1; v <= 4; v++) {
        double u, back;
        search_space_unit_of(&sp, &v, &u);
        search_space_from_unit(&sp, &u, &back);
        CHECK_NEAR(back, v, 0);
    }
    search_space_free(&sp);
}

int main(void)
{
    RUN(sobol_first_points_match_published_values);
    RUN(sobol_is_balanced_in_every_dimension);
    RUN(lhs_puts_one_point_per_stratum);
    RUN(grid_is_a_full_factorial);
    RUN(unit_mapping_gives_integers_equal_shares);
    return unit_done();
}

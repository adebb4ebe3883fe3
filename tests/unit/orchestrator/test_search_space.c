/* The search space: instance names, the unit-cube encoding (logs, one-hot, instance
 * features, a cluster's totals), canonical points and their text. */
#include <math.h>
#include <stdlib.h>

#include "orchestrator/search_space.h"
#include "tests/unit/unit.h"

TEST(instance_names_tell_family_generation_arch)
{
    search_instance_info in;
    CHECK(search_instance_guess("c7g.2xlarge", &in) == 0);
    CHECK_STR(in.family, "c");
    CHECK_INT(in.generation, 7);
    CHECK_STR(in.arch, "arm64");
    CHECK_NEAR(in.vcpus, 8, 0);
    CHECK_NEAR(in.memory_gib, 16, 0);
    CHECK_NEAR(in.gpus, 0, 0);
    search_instance_info_clear(&in);
    CHECK(search_instance_guess("g5.xlarge", &in) == 0);
    CHECK_STR(in.arch, "x86_64");
    CHECK_NEAR(in.gpus, 1, 0);
    search_instance_info_clear(&in);
    CHECK(search_instance_guess("m6i.large", &in) == 0);
    CHECK_STR(in.arch, "x86_64");
    CHECK_NEAR(in.vcpus, 2, 0);
    search_instance_info_clear(&in);
    CHECK(search_instance_guess("t4g.micro", &in) == 0);
    CHECK_STR(in.arch, "arm64");
    search_instance_info_clear(&in);
    CHECK(search_instance_guess("foo", &in) != 0);
    CHECK(search_instance_guess("c5.", &in) != 0);
    CHECK(search_instance_guess(".large", &in) != 0);
}

TEST(encoding_is_in_the_unit_cube)
{
    char err[256];
    search_space sp;
    search_space_init(&sp);
    const char *cats[] = { "x", "y", "z" }, *ords[] = { "low", "mid", "high" };
    search_instance_info types[3];
    const char *names[] = { "c5.large", "m5.2xlarge", "r5.8xlarge" };
    double prices[] = { 0.085, 0.384, 2.016 };
    for (int i = 0; i < 3; i++) {
        search_instance_guess(names[i], &types[i]);
        types[i].price_per_hour = prices[i];
    }
    CHECK(search_space_add_float(&sp, "lr", 1e-5, 1e-1, 1, err, sizeof err) == 0);
    CHECK(search_space_add_int(&sp, "n", 2, 10, 0, err, sizeof err) == 0);
    CHECK(search_space_add_categorical(&sp, "c", cats, 3, err, sizeof err) == 0);
    CHECK(search_space_add_ordinal(&sp, "o", ords, 3, err, sizeof err) == 0);
    CHECK(search_space_add_instance(&sp, "type", types, 3, err, sizeof err) == 0);
    for (int i = 0; i < 3; i++)
        search_instance_info_clear(&types[i]);
    /* Errors: a clash, bad bounds, log scale through 0, repeated values. */
    CHECK(search_space_add_int(&sp, "n", 1, 2, 0, err, sizeof err) != 0);
    CHECK(search_space_add_float(&sp, "bad", 2, 1, 0, err, sizeof err) != 0);
    CHECK(search_space_add_float(&sp, "bad", 0, 1, 1, err, sizeof err) != 0);
    const char *dup[] = { "a", "a" };
    CHECK(search_space_add_categorical(&sp, "bad", dup, 2, err, sizeof err) != 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    /* lr 1, n 1, c one-hot 3, o 1, type: vCPUs, memory/vCPU, generation constant (dropped),
     * price; arch, GPUs constant (dropped). */
    CHECK_INT(sp.dims[2].enc_width, 3);
    CHECK_INT(sp.dims[3].enc_width, 1);
    CHECK_INT(sp.dims[4].enc_width, 3);
    CHECK_INT(sp.enc_dims, 1 + 1 + 3 + 1 + 3);
    double x[5] = { 1e-3, 6, 1, 2, 2 }, e[16];
    search_space_encode(&sp, x, e);
    CHECK_NEAR(e[0], 0.5, 1e-12);        /* log scale: 1e-3 is half-way */
    CHECK_NEAR(e[1], 0.5, 1e-12);
    CHECK_NEAR(e[2] + e[3] + e[4], 1, 0);
    CHECK_NEAR(e[3], 1, 0);
    CHECK_NEAR(e[5], 1, 0);              /* "high" */
    CHECK_NEAR(e[6], 1, 1e-12);          /* r5.8xlarge has the most vCPUs */
    for (size_t i = 0; i < sp.enc_dims; i++)
        CHECK(e[i] >= 0 && e[i] <= 1);
    CHECK_NEAR(search_space_size(&sp), 0, 0);   /* a float dimension: unbounded */
    search_space_free(&sp);
}

TEST(canonical_points_and_text)
{
    char err[256];
    search_space sp;
    search_space_init(&sp);
    const char *modes[] = { "sync", "async" };
    CHECK(search_space_add_int(&sp, "threads", 1, 8, 0, err, sizeof err) == 0);
    CHECK(search_space_add_categorical(&sp, "mode", modes, 2, err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    double a[2] = { 3.4, 0.6 }, b[2] = { 2.6, 1.0 };
    search_space_canonical(&sp, a);
    CHECK_NEAR(a[0], 3, 0);
    CHECK_NEAR(a[1], 1, 0);
    CHECK(search_space_equal(&sp, a, b));   /* the same after rounding */
    double c[2] = { 99, -3 };
    search_space_canonical(&sp, c);
    CHECK_NEAR(c[0], 8, 0);
    CHECK_NEAR(c[1], 0, 0);
    char buf[32];
    search_space_format_value(&sp, 0, 3, buf, sizeof buf);
    CHECK_STR(buf, "3");
    search_space_format_value(&sp, 1, 1, buf, sizeof buf);
    CHECK_STR(buf, "async");
    double v;
    CHECK(search_space_parse_value(&sp, 0, "5", &v) == 0 && v == 5);
    CHECK(search_space_parse_value(&sp, 0, "5.5", &v) != 0);
    CHECK(search_space_parse_value(&sp, 0, "x", &v) != 0);
    CHECK(search_space_parse_value(&sp, 1, "sync", &v) == 0 && v == 0);
    CHECK_NEAR(search_space_size(&sp), 16, 0);
    int seen[9][2] = { { 0 } };
    for (double i = 0; i < 16; i++) {
        double p[2];
        search_space_point_at(&sp, i, p);
        seen[(int)p[0]][(int)p[1]]++;
    }
    for (int t = 1; t <= 8; t++)
        CHECK(seen[t][0] == 1 && seen[t][1] == 1);
    CHECK_INT(search_space_find(&sp, "mode"), 1);
    CHECK_INT(search_space_find(&sp, "nope"), -1);
    search_space_free(&sp);
}

TEST(price_of_a_point_is_type_price_times_nodes)
{
    char err[256];
    search_space sp;
    search_instance_info types[2];
    const char *names[] = { "c5.large", "r5.xlarge" };
    for (int i = 0; i < 2; i++)
        search_instance_guess(names[i], &types[i]);
    types[0].price_per_hour = 0.085;
    types[1].price_per_hour = 0.252;
    search_space_init(&sp);
    CHECK(search_space_add_int(&sp, "threads", 1, 8, 0, err, sizeof err) == 0);
    CHECK(search_space_add_instance(&sp, "type", types, 2, err, sizeof err) == 0);
    CHECK(search_space_add_int(&sp, "nodes", 1, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_set_nodes(&sp, "nodes", err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    CHECK(search_space_priced(&sp));
    CHECK_NEAR(search_space_price(&sp, (double[]){ 3, 1, 4 }), 4 * 0.252, 1e-12);
    CHECK_NEAR(search_space_price(&sp, (double[]){ 3, 0, 1 }), 0.085, 1e-12);
    search_space_free(&sp);

    /* A type without a price: unknown for that type, and the space is not priced. */
    types[1].price_per_hour = 0;
    search_space_init(&sp);
    CHECK(search_space_add_instance(&sp, "type", types, 2, err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    CHECK(!search_space_priced(&sp));
    CHECK(isnan(search_space_price(&sp, (double[]){ 1 })));
    CHECK_NEAR(search_space_price(&sp, (double[]){ 0 }), 0.085, 1e-12);
    search_space_free(&sp);

    /* A node count alone: the price is proportional to it. No type, no nodes: unknown. */
    search_space_init(&sp);
    CHECK(search_space_add_int(&sp, "nodes", 1, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_set_nodes(&sp, "nodes", err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    CHECK(search_space_priced(&sp));
    CHECK_NEAR(search_space_price(&sp, (double[]){ 3 }), 3, 0);
    search_space_free(&sp);
    search_space_init(&sp);
    CHECK(search_space_add_int(&sp, "threads", 1, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    CHECK(!search_space_priced(&sp));
    CHECK(isnan(search_space_price(&sp, (double[]){ 3 })));
    search_space_free(&sp);
    for (int i = 0; i < 2; i++)
        search_instance_info_clear(&types[i]);
}

/* Two types of the given sizes (vCPUs, GiB) and a node count 1..8 marked as such. */
static void cluster_space(search_space *sp, const double *vcpus, const double *mem)
{
    char err[256];
    search_instance_info types[2] = { { 0 } };
    char *names[] = { "a.large", "b.xlarge" };
    for (int i = 0; i < 2; i++) {
        types[i].name = names[i];
        types[i].vcpus = vcpus[i];
        types[i].memory_gib = mem[i];
    }
    search_space_init(sp);
    CHECK(search_space_add_instance(sp, "type", types, 2, err, sizeof err) == 0);
    CHECK(search_space_add_int(sp, "nodes", 1, 8, 1, err, sizeof err) == 0);
    CHECK(search_space_set_nodes(sp, "nodes", err, sizeof err) == 0);
    CHECK(search_space_finalize(sp, err, sizeof err) == 0);
}

TEST(cluster_totals_join_type_and_node_count)
{
    char err[256];
    search_space sp;
    /* 2 vCPUs/4 GiB and 8 vCPUs/64 GiB: totals span 2..64 vCPUs and 4..512 GiB. */
    cluster_space(&sp, (double[]){ 2, 8 }, (double[]){ 4, 64 });
    CHECK(sp.cluster.on);
    CHECK_INT(sp.cluster.enc_width, 2);
    size_t off = sp.cluster.enc_offset;
    CHECK_INT(sp.enc_dims, off + 2);
    double x[2] = { 1, 2 }, e[16];   /* 2 nodes of 8 vCPUs/64 GiB: 16 vCPUs, 128 GiB */
    search_space_encode(&sp, x, e);
    CHECK_NEAR(e[off], 3.0 / 5.0, 1e-12);       /* log2(16/2) / log2(64/2) */
    CHECK_NEAR(e[off + 1], 5.0 / 7.0, 1e-12);   /* log2(128/4) / log2(512/4) */
    /* The same cluster built from the other type: 8 nodes of 2 vCPUs is 16 vCPUs. */
    double y[2] = { 0, 8 }, f[16];
    search_space_encode(&sp, y, f);
    CHECK_NEAR(f[off], e[off], 1e-12);
    CHECK(f[off + 1] < e[off + 1]);              /* but 32 GiB, not 128 */
    CHECK(search_space_set_nodes(&sp, "nodes", err, sizeof err) != 0);   /* finalized */
    search_space_free(&sp);

    /* Memory per vCPU the same for both types: the memory total would repeat the vCPUs. */
    cluster_space(&sp, (double[]){ 2, 8 }, (double[]){ 4, 16 });
    CHECK_INT(sp.cluster.enc_width, 1);
    CHECK_INT(sp.enc_dims, sp.cluster.enc_offset + 1);
    search_space_free(&sp);

    /* A size unknown: no totals. */
    cluster_space(&sp, (double[]){ 2, 0 }, (double[]){ 4, 16 });
    CHECK(!sp.cluster.on);
    CHECK_INT(sp.enc_dims, sp.cluster.enc_offset);
    search_space_free(&sp);

    /* Only an integer dimension of at least 1 counts nodes; a node count alone adds nothing. */
    search_space_init(&sp);
    CHECK(search_space_add_float(&sp, "f", 1, 2, 0, err, sizeof err) == 0);
    CHECK(search_space_add_int(&sp, "z", 0, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_add_int(&sp, "n", 1, 4, 0, err, sizeof err) == 0);
    CHECK(search_space_set_nodes(&sp, "f", err, sizeof err) != 0);
    CHECK(search_space_set_nodes(&sp, "z", err, sizeof err) != 0);
    CHECK(search_space_set_nodes(&sp, "nope", err, sizeof err) != 0);
    CHECK(search_space_set_nodes(&sp, "n", err, sizeof err) == 0);
    CHECK(search_space_finalize(&sp, err, sizeof err) == 0);
    CHECK(!sp.cluster.on);
    CHECK_INT(sp.enc_dims, 3);
    search_space_free(&sp);
}

int main(void)
{
    RUN(instance_names_tell_family_generation_arch);
    RUN(encoding_is_in_the_unit_cube);
    RUN(canonical_points_and_text);
    RUN(cluster_totals_join_type_and_node_count);
    RUN(price_of_a_point_is_type_price_times_nodes);
    return unit_done();
}

/* results.csv, summary.csv and ec2data.csv from a journal: the contract's columns in order,
 * empty fields for what is not known (never 0 for a missing price), quoting, statistics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "orchestrator/config.h"
#include "orchestrator/costs.h"
#include "orchestrator/journal.h"
#include "orchestrator/results_csv.h"
#include "tests/unit/unit.h"

static char err[1024];
static char dir[64];

static const char cfg_text[] =
    "experiment: t\n"
    "command: [x, ARGS]\n"
    "replicates: 2\n"
    "parameters:\n"
    "  mode: {type: categorical, values: [\"a,b\", plain]}\n"
    "local:\n"
    "  profiles:\n"
    "    priced: {cpus: 1, price_per_hour: 3.6}\n"
    "    free: {cpus: 1}\n";

static void add_job(journal *jn, long long exp, long long pt, const char *type, int rep,
                    double wall, int exit_code, double metric)
{
    long long id;
    char url[64];
    snprintf(url, sizeof url, "/r/%s/%d/", type, rep);
    CHECK_INT(journal_job_add(jn, exp, pt, type, rep, 0, url, &id, NULL, err, sizeof err), 0);
    CHECK_INT(journal_job_submitted(jn, id, "42:1", err, sizeof err), 0);
    journal_result r;
    journal_result_init(&r);
    r.status = strdup(exit_code == 0 ? "succeeded" : "failed");
    r.exit_code = exit_code;
    r.wall_seconds = wall;
    r.cpu_seconds = wall / 2;
    r.custom_metric = metric;
    char rd[64];
    snprintf(rd, sizeof rd, "runs/%s/mode-a~2Cb/%d", type, rep);
    r.result_dir = strdup(rd);
    r.summary_json = strdup("{\"instance\":{\"vcpus\":2,\"memory_bytes\":1000},"
                            "\"start_time\":\"2026-11-23T04:00:00.000Z\"}");
    backend_status st = {.state = exit_code == 0 ? JOB_SUCCEEDED : JOB_FAILED,
                         .exit_code = exit_code};
    CHECK_INT(journal_job_finish(jn, id, st.state, &st, &r, err, sizeof err), 0);
    journal_result_free(&r);
}

static char *read_out(const char *name)
{
    char *path = path_join(dir, name), *text = NULL;
    size_t len;
    if (read_file(path, &text, &len) != 0)
        text = NULL;
    free(path);
    return text;
}

TEST(tables)
{
    config c;
    config_init(&c);
    CHECK_INT(config_parse_yaml("t.yaml", cfg_text, strlen(cfg_text), &c, err, sizeof err), 0);
    CHECK_INT(config_check(&c, err, sizeof err), 0);
    char *db = path_join(dir, "state.db");
    journal *jn = NULL;
    long long exp, pt;
    CHECK_INT(journal_open(db, &jn, err, sizeof err), 0);
    CHECK_INT(journal_experiment(jn, "t", NULL, NULL, "local", &exp, err, sizeof err), 0);
    CHECK_INT(journal_point_add(jn, exp, "mode-a~2Cb", 0, "{\"mode\":\"a,b\"}", 1, 0, &pt, NULL,
                                err, sizeof err), 0);
    add_job(jn, exp, pt, "priced", 0, 10, 0, -5);
    add_job(jn, exp, pt, "priced", 1, 20, 0, -7);
    add_job(jn, exp, pt, "free", 0, 30, 3, NAN);
    long long planned;
    CHECK_INT(journal_job_add(jn, exp, pt, "free", 1, 0, "/r/free/1/", &planned, NULL, err,
                              sizeof err), 0);
    price_book *pb = NULL;
    /* Prices from the config only: an empty cache directory, no network. */
    setenv("XDG_CACHE_HOME", dir, 1);
    CHECK_INT(price_book_open_for_config(&c, NULL, 0, &pb, err, sizeof err), 0);
    CHECK_INT(results_write(jn, exp, &c, pb, dir, err, sizeof err), 0);
    price_book_free(pb);

    char *res = read_out("results.csv");
    CHECK_STR(res,
              "experiment,instance_type,point_tag,replicate,round,state,exit_code,runtime_seconds,"
              "cpu_seconds,peak_memory_bytes,custom_metric,nodes,price_per_hour,price_source,"
              "cost_usd,queue_seconds,backend_id,result_dir,param_mode\n"
              "t,free,mode-a~2Cb,0,0,failed,3,30,15,,,1,,,,,42:1,runs/free/mode-a~2Cb/0,\"a,b\"\n"
              "t,free,mode-a~2Cb,1,0,planned,,,,,,1,,,,,,,\"a,b\"\n"
              "t,priced,mode-a~2Cb,0,0,succeeded,0,10,5,,-5,1,3.6,config,0.01,,42:1,"
              "runs/priced/mode-a~2Cb/0,\"a,b\"\n"
              "t,priced,mode-a~2Cb,1,0,succeeded,0,20,10,,-7,1,3.6,config,0.02,,42:1,"
              "runs/priced/mode-a~2Cb/1,\"a,b\"\n");
    char *sum = read_out("summary.csv");
    const char *want_sum_head =
        "instance_type,point_tag,n,n_failed,runtime_mean,runtime_std,runtime_sem,cost_mean,"
        "cost_sem,custom_metric_mean,price_per_hour,param_mode,runtime_median,runtime_min,"
        "runtime_max,custom_metric_median,custom_metric_std,custom_metric_min,custom_metric_max,"
        "cost_per_1000_runs,rank\n";
    CHECK(sum && strncmp(sum, want_sum_head, strlen(want_sum_head)) == 0);
    CHECK(sum && strstr(sum, "\nfree,mode-a~2Cb,0,1,,,,,,,,\"a,b\",,,,,,,,,\n"));
    /* runtime 10 and 20: mean 15, sample std 7.071067812, sem 5 */
    CHECK(sum && strstr(sum, "\npriced,mode-a~2Cb,2,0,15,7.071067812,5,0.015,0.005,-6,3.6,"
                             "\"a,b\",15,10,20,-6,1.414213562,-7,-5,15,1\n"));
    if (sum && unit_case_failed)
        fprintf(stderr, "%s", sum);
    char *ec2 = read_out("ec2data.csv");
    CHECK(ec2 && strstr(ec2, "\npriced,25,,0.01,10,,,,,2,1000,0,1,2026-11-23T04:00:00.000Z,-5\n"));
    CHECK(ec2 && !strstr(ec2, "\nfree,"));   /* only succeeded runs, as the older tool */
    free(res);
    free(sum);
    free(ec2);
    journal_close(jn);
    free(db);
    config_free(&c);
}

TEST(field_quoting)
{
    strbuf sb = STRBUF_INIT;
    CHECK_INT(csv_put_field(&sb, "plain"), 0);
    CHECK_INT(csv_put_field(&sb, "say \"hi\", twice"), 0);
    CHECK_INT(csv_put_field(&sb, "two\nlines"), 0);
    CHECK_STR(sb_str(&sb), "plain\"say \"\"hi\"\", twice\"\"two\nlines\"");
    sb_free(&sb);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_results_csv.%d", (int)getpid());
    mkdir_p(dir);
    RUN(tables);
    RUN(field_quoting);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return unit_done();
}

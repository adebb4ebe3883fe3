/* orchestrate: benchmark a container across EC2 instance types and parameter points.
 * This file only dispatches verbs; each lives with its own module. To add a verb, add one
 * line to the table below. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "orchestrator/experiment_cmds.h"
#include "orchestrator/plan_cmd.h"
#include "orchestrator/prices.h"
#include "orchestrator/simulate.h"
#include "uploader/s3_cli.h"

typedef int (*verb_fn)(int argc, char **argv);

static const struct verb {
    const char *name;
    const char *alias;       /* the older tool's flag for it, or NULL */
    verb_fn fn;
    const char *what;
} verbs[] = {
    {"run", NULL, cmd_run, "plan, submit, track, collect and report (the default)"},
    {"status", NULL, cmd_status, "pending, running, done and failed jobs, costs so far"},
    {"kill", "-k", cmd_kill, "terminate every job this experiment started"},
    {"report", "-r", cmd_report, "collect again and rebuild the CSVs and report.html"},
    {"validate", NULL, cmd_validate, "check a config and print a summary of its plan"},
    {"plan", NULL, cmd_plan, "dry run: every job's instance type, point and argv"},
    {"setup", NULL, cmd_setup, "create the Batch queues, compute environments, definitions"},
    {"teardown", NULL, cmd_teardown, "delete what setup created"},
    {"prices", NULL, cmd_prices, "fetch and show EC2 prices (--update)"},
    {"simulate", NULL, cmd_simulate, "replay a search on a table of measured configurations"},
    {"s3", NULL, s3_cli_main, "s3 cp / s3 ls through the built-in S3 client"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: orchestrate [VERB] [options] CONFIG\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-9s %s%s%s%s\n", verbs[i].name, verbs[i].what,
                verbs[i].alias ? " (also " : "", verbs[i].alias ? verbs[i].alias : "",
                verbs[i].alias ? ")" : "");
    fprintf(out, "\noptions of run, status, kill, report, validate, setup, teardown:\n%s"
                 "\nSee orchestrate(1) and orchestrate.yaml(5).\n",
            experiment_cmds_usage);
}

static const struct verb *find_verb(const char *word)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(word, verbs[i].name) == 0 ||
            (verbs[i].alias && strcmp(word, verbs[i].alias) == 0))
            return &verbs[i];
    if (strcmp(word, "--killjobs") == 0)
        return find_verb("-k");
    if (strcmp(word, "--reprocess") == 0)
        return find_verb("-r");
    return NULL;
}

int main(int argc, char **argv)
{
    log_init("orchestrate", LOG_INFO);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("orchestrate %s\n", MONITOR_VERSION);
        return 0;
    }
    /* The verb is the first word, or the older tool's -k/-r anywhere (`-j cfg.json -k`). */
    for (int i = 1; i < argc; i++) {
        const struct verb *v = find_verb(argv[i]);
        if (!v || (i > 1 && !v->alias))
            continue;
        if (i > 1 && strcmp(argv[i], v->name) == 0)
            continue;   /* a config file named like a verb is not a verb */
        /* Move the verb to argv[0] of the verb's own argument vector. */
        char *word = argv[i];
        for (int k = i; k > 1; k--)
            argv[k] = argv[k - 1];
        argv[1] = word;
        return v->fn(argc - 1, argv + 1);
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    argv[0] = "run";
    return cmd_run(argc, argv);
}

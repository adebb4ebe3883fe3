/* The experiment verbs (see experiment_cmds.h): shared option parsing, opening the config,
 * output directory, journal and backend, and each verb's few steps. */
#include "orchestrator/experiment_cmds.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "orchestrator/backend.h"
#include "orchestrator/batch_setup.h"
#include "orchestrator/config.h"
#include "orchestrator/costs.h"
#include "orchestrator/experiment_lock.h"
#include "orchestrator/journal.h"
#include "orchestrator/plan.h"
#include "orchestrator/report.h"
#include "orchestrator/results_csv.h"
#include "orchestrator/run_loop.h"
#include "orchestrator/search_driver.h"

const char experiment_cmds_usage[] =
    "  CONFIG | -j CONFIG       the experiment's config (YAML, or the older JSON)\n"
    "  --backend local|batch    overrides the config's backend\n"
    "  --output DIR, -o DIR     output directory (default results/EXPERIMENT/)\n"
    "  --seed N                 seed of the search and random choices\n"
    "  --monitor PATH           monitor_system for local jobs (default: next to orchestrate,\n"
    "                           $MONITOR_SYSTEM, then PATH)\n"
    "  --poll SECONDS           time between polls (default 0.2 local, 10 batch)\n"
    "  --wait SECONDS           kill: how long to wait for jobs to stop (default 60)\n"
    "  --no-report              run: write the CSVs but not report.html\n"
    "  --run TYPE/TAG/REP       run, report: the run whose time series the report draws\n"
    "                           (default: the median-runtime run of the best type)\n"
    "  -q, --quiet / -v, --verbose\n";

typedef struct cli {
    const char *verb;
    const char *config_path;
    const char *backend;
    const char *output;
    const char *monitor;
    int has_seed;
    unsigned long long seed;
    double poll;
    double wait;
    int no_report;
    const char *plot_run;   /* --run TYPE/TAG/REPLICATE: the run whose time series is drawn */
} cli;

static int usage(const char *verb, const char *msg)
{
    if (msg)
        log_error("%s", msg);
    fprintf(stderr, "usage: orchestrate %s [options] CONFIG\n%s", verb, experiment_cmds_usage);
    return 2;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && !*end && !errno && isfinite(*out) && *out >= 0 ? 0 : -1;
}

static int parse_cli(int argc, char **argv, cli *o)
{
    enum { O_BACKEND = 1000, O_SEED, O_MONITOR, O_POLL, O_WAIT, O_NO_REPORT, O_RUN };
    static const struct option longs[] = {
        {"backend", required_argument, NULL, O_BACKEND},
        {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, O_SEED},
        {"monitor", required_argument, NULL, O_MONITOR},
        {"poll", required_argument, NULL, O_POLL},
        {"wait", required_argument, NULL, O_WAIT},
        {"no-report", no_argument, NULL, O_NO_REPORT},
        {"run", required_argument, NULL, O_RUN},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->verb = argv[0];
    o->wait = 60;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":j:o:qvh", longs, NULL)) != -1) {
        double d;
        char *end;
        switch (c) {
        case 'j': o->config_path = optarg; break;
        case 'o': o->output = optarg; break;
        case 'q': log_init("orchestrate", LOG_WARN); break;
        case 'v': log_init("orchestrate", LOG_DEBUG); break;
        case O_BACKEND:
            if (strcmp(optarg, "local") != 0 && strcmp(optarg, "batch") != 0)
                return usage(o->verb, "--backend must be local or batch");
            o->backend = optarg;
            break;
        case O_SEED:
            errno = 0;
            o->seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end || errno)
                return usage(o->verb, "--seed needs a whole number");
            o->has_seed = 1;
            break;
        case O_MONITOR: o->monitor = optarg; break;
        case O_POLL:
            if (parse_number(optarg, &d) != 0 || d <= 0)
                return usage(o->verb, "--poll needs a positive number of seconds");
            o->poll = d;
            break;
        case O_WAIT:
            if (parse_number(optarg, &d) != 0)
                return usage(o->verb, "--wait needs a number of seconds");
            o->wait = d;
            break;
        case O_NO_REPORT: o->no_report = 1; break;
        case O_RUN: o->plot_run = optarg; break;
        case 'h': usage(o->verb, NULL); return 1;
        case ':': return usage(o->verb, "an option is missing its value");
        default: {
            char msg[128];
            snprintf(msg, sizeof msg, "unknown option %s", argv[optind - 1]);
            return usage(o->verb, msg);
        }
        }
    }
    if (optind < argc && !o->config_path)
        o->config_path = argv[optind++];
    if (optind < argc)
        return usage(o->verb, "too many arguments");
    if (!o->config_path)
        return usage(o->verb, "no config given");
    return 0;
}

/* ---- the session: config, output dir, journal, backend ------------------------------------ */

typedef struct session {
    config cfg;
    char *output_dir;          /* absolute */
    journal *jn;
    long long exp_id;
    backend *be;
    int lock_fd;               /* OUTPUT/.lock (experiment_lock.h), or -1 */
    long busy_owner;           /* LOCK_TRY found the lock held by this pid; 0 if not */
} session;

static void session_close(session *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->be)
        s->be->ops->destroy(s->be);
    journal_close(s->jn);
    free(s->output_dir);
    config_free(&s->cfg);
    memset(s, 0, sizeof *s);
}

/* monitor_system for local process jobs: --monitor, the config, $MONITOR_SYSTEM, next to
 * this binary, then PATH. */
static char *find_monitor(const cli *o, const config *cfg)
{
    const char *explicit = o->monitor ? o->monitor : cfg->local.monitor_path;
    if (!explicit)
        explicit = getenv("MONITOR_SYSTEM");
    if (explicit)
        return realpath(explicit, NULL);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *dir = dirname(self);
        char *cand = path_join(dir, "monitor_system");
        if (cand && access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    const char *path = getenv("PATH");
    char *copy = path ? strdup(path) : NULL;
    char *save = NULL, *found = NULL;
    for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *cand = path_join(d, "monitor_system");
        if (cand && access(cand, X_OK) == 0)
            found = cand;
        else
            free(cand);
    }
    free(copy);
    return found;
}

static int apply_overrides(const cli *o, config *cfg)
{
    char err[512];
    if (o->backend)
        cfg->backend = strcmp(o->backend, "batch") == 0 ? CONFIG_BACKEND_BATCH
                                                        : CONFIG_BACKEND_LOCAL;
    if (o->has_seed) {
        cfg->seed = o->seed;
        cfg->has_seed = 1;
    }
    if (o->output) {
        free(cfg->output_dir);
        if (!(cfg->output_dir = strdup(o->output)))
            return -1;
    }
    /* --backend may change what the config must hold: check again. */
    if (o->backend && config_check(cfg, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    return 0;
}

/* The config file as written, kept in the output directory for the report. */
static int keep_config_copy(const config *cfg, const char *outdir, char **text)
{
    size_t len;
    if (read_file(cfg->source_path, text, &len) != 0) {
        log_error("%s: %s", cfg->source_path, strerror(errno));
        return -1;
    }
    char *dst = path_join(outdir, cfg->legacy_json ? "config.json" : "config.yaml");
    int rc = dst ? write_file_atomic(dst, *text, len) : -1;
    if (rc != 0)
        log_error("%s: %s", dst ? dst : outdir, strerror(errno));
    free(dst);
    return rc;
}

enum { OPEN_EXISTING = 0, OPEN_CREATE = 1 };
enum { NO_LOCK = -1 };

/* s->output_dir: the config's (or --output's) directory, made absolute; created for run. */
static int resolve_output_dir(session *s, int mode)
{
    char *out = s->cfg.output_dir ? strdup(s->cfg.output_dir) : NULL;
    if (!out && asprintf(&out, "results/%s", s->cfg.experiment) < 0)
        out = NULL;
    if (!out)
        return -1;
    if (mode == OPEN_CREATE && mkdir_p(out) != 0) {
        log_error("%s: %s", out, strerror(errno));
        free(out);
        return -1;
    }
    s->output_dir = realpath(out, NULL);
    if (!s->output_dir)
        log_error("%s: %s%s", out, strerror(errno),
                  mode == OPEN_EXISTING ? " (has this experiment been run?)" : "");
    free(out);
    if (!s->output_dir)
        return -1;
    /* Backends place work files under the output directory. */
    free(s->cfg.output_dir);
    return (s->cfg.output_dir = strdup(s->output_dir)) ? 0 : -1;
}

/* OUTPUT/state.db and the experiment's row in it (created by run, found by the others). */
static int open_journal(session *s, int mode)
{
    char err[1024] = "";
    char *db = path_join(s->output_dir, "state.db");
    if (!db)
        return -1;
    if (mode == OPEN_EXISTING && !file_exists(db)) {
        log_error("%s: no state database (has this experiment been run?)", db);
        free(db);
        return -1;
    }
    int rc = journal_open(db, &s->jn, err, sizeof err);
    free(db);
    if (rc == 0 && mode == OPEN_CREATE) {
        char *text = NULL;
        rc = keep_config_copy(&s->cfg, s->output_dir, &text);
        if (rc == 0)
            rc = journal_experiment(s->jn, s->cfg.experiment, s->cfg.source_path, text,
                                    config_backend_name(s->cfg.backend), &s->exp_id, err,
                                    sizeof err);
        free(text);
    } else if (rc == 0) {
        rc = journal_experiment_find(s->jn, s->cfg.experiment, &s->exp_id, err, sizeof err);
    }
    if (rc != 0 && err[0])
        log_error("%s", err);
    return rc;
}

/* The config's backend, with the monitor found first for local process jobs. */
static int attach_backend(const cli *o, session *s)
{
    char err[1024] = "";
    if (s->cfg.backend == CONFIG_BACKEND_LOCAL && s->cfg.local.engine == LOCAL_ENGINE_PROCESS) {
        char *mon = find_monitor(o, &s->cfg);
        if (!mon) {
            log_error("monitor_system not found: build it (make), or give --monitor PATH or "
                      "MONITOR_SYSTEM");
            return -1;
        }
        free(s->cfg.local.monitor_path);
        s->cfg.local.monitor_path = mon;
    }
    s->be = s->cfg.backend == CONFIG_BACKEND_BATCH ? backend_batch_new(&s->cfg, err, sizeof err)
                                                   : backend_local_new(&s->cfg, err, sizeof err);
    if (!s->be)
        log_error("%s", err);
    return s->be ? 0 : -1;
}

static int session_open(const cli *o, int mode, int with_backend, int lock, session *s)
{
    char err[1024] = "";
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    if (config_load(o->config_path, &s->cfg, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    int rc = apply_overrides(o, &s->cfg) == 0 && resolve_output_dir(s, mode) == 0 ? 0 : -1;
    if (rc == 0 && lock != NO_LOCK &&
        experiment_lock(s->output_dir, (lock_mode)lock, &s->lock_fd, &s->busy_owner, err,
                        sizeof err) != 0) {
        log_error("%s", err);
        rc = -1;
    }
    if (rc == 0)
        rc = open_journal(s, mode);
    if (rc == 0 && with_backend)
        rc = attach_backend(o, s);
    if (rc != 0)
        session_close(s);
    return rc;
}

static run_options options_for(session *s, const cli *o, volatile sig_atomic_t *stop)
{
    run_options ro = {
        .cfg = &s->cfg,
        .output_dir = s->output_dir,
        .jn = s->jn,
        .experiment_id = s->exp_id,
        .be = s->be,
        .stop = stop,
        .poll_interval = o->poll,
        .progress_tty = isatty(2),
    };
    return ro;
}

/* ---- tables and report ------------------------------------------------------------------- */

static int write_outputs(session *s, const cli *o, int with_html)
{
    char err[1024];
    char **types = NULL;
    size_t n_types = 0;
    price_book *pb = NULL;
    if (plan_instance_types(&s->cfg, &types, &n_types, err, sizeof err) != 0)
        log_warn("%s", err);
    if (price_book_open_for_config(&s->cfg, (const char *const *)types, n_types, &pb, err,
                                   sizeof err) != 0) {
        log_warn("prices: %s", err);
        pb = NULL;
    }
    int rc = results_write(s->jn, s->exp_id, &s->cfg, pb, s->output_dir, err, sizeof err);
    if (rc != 0)
        log_error("%s", err);
    if (rc == 0 && pb) {
        char *snap = path_join(s->output_dir, "prices.json");
        if (snap && price_book_snapshot(pb, (const char *const *)types, n_types, snap, err,
                                        sizeof err) != 0)
            log_warn("prices snapshot: %s", err);
        free(snap);
    }
    price_book_free(pb);
    plan_strings_free(types, n_types);
    if (rc != 0)
        return -1;
    report_options ropt = {.objective = s->cfg.search.metric,
                           .title = s->cfg.experiment,
                           .timeseries_run = o->plot_run,
                           .stale_price_days = s->cfg.pricing.max_age_days};
    if (with_html && !o->no_report) {
        if (report_write(s->output_dir, &ropt, err, sizeof err) != 0)
            log_warn("report: %s", err);
        else
            log_info("report: %s/report.html", s->output_dir);
    }
    if (report_print_table(s->output_dir, &ropt, stdout, err, sizeof err) != 0)
        log_warn("table: %s", err);
    fflush(stdout);
    return 0;
}

/* ---- signals ----------------------------------------------------------------------------- */

/* Set by SIGINT/SIGTERM; the run loop polls it between journal writes. */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    g_stop = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- verbs ---------------------------------------------------------------------------------- */

int cmd_run(int argc, char **argv)
{
    cli o;
    session s;
    char err[1024];
    int rc = parse_cli(argc, argv, &o);
    if (rc)
        return rc;
    if (session_open(&o, OPEN_CREATE, 1, LOCK_REFUSE_BUSY, &s) != 0)
        return 1;
    install_signals();
    run_options ro = options_for(&s, &o, &g_stop);
    run_proposer *prop = NULL;
    if (s.cfg.search.method != SEARCH_NONE) {
        prop = search_driver_new(&s.cfg, s.jn, s.exp_id, err, sizeof err);
        if (!prop) {
            log_error("%s", err);
            session_close(&s);
            return 1;
        }
        ro.proposer = prop;
    }
    rc = run_plan_initial(&ro, err, sizeof err);
    if (rc == 0)
        rc = run_loop(&ro, err, sizeof err);
    if (rc < 0)
        log_error("%s", err);
    if (prop && prop->destroy)
        prop->destroy(prop);
    int status = rc < 0 ? 1 : 0;
    if (rc == 1) {
        log_warn("interrupted: jobs keep running; run the same command again to resume, or "
                 "`orchestrate kill %s` to stop them", o.config_path);
        status = 128 + (int)g_stop;
    }
    if (write_outputs(&s, &o, rc == 0) != 0 && status == 0)
        status = 1;
    session_close(&s);
    return status;
}

int cmd_status(int argc, char **argv)
{
    cli o;
    session s;
    char err[1024];
    int rc = parse_cli(argc, argv, &o);
    if (rc)
        return rc;
    if (session_open(&o, OPEN_EXISTING, 0, NO_LOCK, &s) != 0)
        return 1;
    size_t c[JOB_CANCELLED + 1];
    journal_job *rows = NULL;
    size_t n = 0;
    price_book *pb = NULL;
    if (journal_counts(s.jn, s.exp_id, c, err, sizeof err) != 0 ||
        journal_jobs(s.jn, s.exp_id, JOURNAL_ALL, &rows, &n, err, sizeof err) != 0) {
        log_error("%s", err);
        session_close(&s);
        return 1;
    }
    if (price_book_open_for_config(&s.cfg, NULL, 0, &pb, err, sizeof err) != 0)
        pb = NULL;
    double spent = 0;
    size_t priced = 0;
    printf("experiment %s (%s backend), output %s\n", s.cfg.experiment,
           config_backend_name(s.cfg.backend), s.output_dir);
    printf("jobs: %zu planned, %zu submitted, %zu running, %zu succeeded, %zu failed, "
           "%zu cancelled\n", c[JOB_PLANNED], c[JOB_SUBMITTED], c[JOB_RUNNING], c[JOB_SUCCEEDED],
           c[JOB_FAILED], c[JOB_CANCELLED]);
    for (size_t i = 0; i < n; i++) {
        journal_result r;
        if (journal_job_result(s.jn, rows[i].id, &r, err, sizeof err) == 1) {
            job_cost jc;
            costs_for_job(pb, rows[i].instance_type, r.wall_seconds, rows[i].nodes,
                          rows[i].created_at, rows[i].started_at, &jc);
            if (!isnan(jc.cost_usd)) {
                spent += jc.cost_usd;
                priced++;
            }
        }
        journal_result_free(&r);
        if (!job_state_is_final(rows[i].state))
            printf("  %-9s %s %s #%d%s%s\n", job_state_name(rows[i].state),
                   rows[i].instance_type, rows[i].point_tag, rows[i].replicate,
                   rows[i].backend_id ? " " : "", rows[i].backend_id ? rows[i].backend_id : "");
        else if (rows[i].state != JOB_SUCCEEDED)
            printf("  %-9s %s %s #%d exit %d%s%s\n", job_state_name(rows[i].state),
                   rows[i].instance_type, rows[i].point_tag, rows[i].replicate,
                   rows[i].exit_code, rows[i].reason ? ": " : "",
                   rows[i].reason ? rows[i].reason : "");
    }
    if (priced)
        printf("cost so far: $%.6g over %zu priced runs\n", spent, priced);
    else
        printf("cost so far: unknown (no prices for these instance types)\n");
    price_book_free(pb);
    journal_jobs_free(rows, n);
    session_close(&s);
    return 0;
}

int cmd_kill(int argc, char **argv)
{
    cli o;
    session s;
    char err[1024];
    int rc = parse_cli(argc, argv, &o);
    if (rc)
        return rc;
    if (session_open(&o, OPEN_EXISTING, 1, LOCK_TAKE_OVER, &s) != 0)
        return 1;
    run_options ro = options_for(&s, &o, NULL);
    rc = run_cancel_all(&ro, o.wait, err, sizeof err);
    if (rc != 0)
        log_error("%s", err);
    else if (write_outputs(&s, &o, 0) != 0)
        rc = -1;
    session_close(&s);
    return rc == 0 ? 0 : 1;
}

int cmd_report(int argc, char **argv)
{
    cli o;
    session s;
    char err[1024];
    int rc = parse_cli(argc, argv, &o);
    if (rc)
        return rc;
    if (session_open(&o, OPEN_EXISTING, 0, LOCK_TRY, &s) != 0)
        return 1;
    run_options ro = options_for(&s, &o, NULL);
    /* While a run is in progress it collects; the report shows what it has so far. */
    if (s.busy_owner)
        log_info("orchestrate (pid %ld) is still running this experiment: reporting the "
                 "results collected so far", s.busy_owner);
    rc = s.busy_owner ? 0 : run_recollect(&ro, err, sizeof err);
    if (rc != 0)
        log_error("%s", err);
    else if (write_outputs(&s, &o, 1) != 0)
        rc = -1;
    session_close(&s);
    return rc == 0 ? 0 : 1;
}

/* The plan without running it: what the config means, for checking a config. */
int cmd_validate(int argc, char **argv)
{
    cli o;
    config cfg;
    char err[1024];
    int rc = parse_cli(argc, argv, &o);
    if (rc)
        return rc;
    if (config_load(o.config_path, &cfg, err, sizeof err) != 0) {
        log_error("%s", err);
        return 1;
    }
    if (apply_overrides(&o, &cfg) != 0) {
        config_free(&cfg);
        return 1;
    }
    char **types = NULL, **argvv = NULL;
    size_t n_types = 0, n_points = 0;
    plan_point *points = NULL;
    rc = plan_instance_types(&cfg, &types, &n_types, err, sizeof err);
    if (rc == 0 && cfg.search.method == SEARCH_NONE)
        rc = plan_points(&cfg, &points, &n_points, err, sizeof err);
    if (rc == 0 && n_points > 0)
        rc = plan_argv(&cfg, &points[0], &argvv, err, sizeof err);
    if (rc != 0) {
        log_error("%s", err);
    } else {
        printf("config %s: experiment %s, backend %s%s\n", cfg.source_path, cfg.experiment,
               config_backend_name(cfg.backend), cfg.legacy_json ? " (older JSON form)" : "");
        printf("instance types (%zu):", n_types);
        for (size_t i = 0; i < n_types; i++)
            printf(" %s", types[i]);
        printf("\n");
        if (cfg.search.method != SEARCH_NONE)
            printf("search: %s, %d rounds of %d points, metric %s, x %d replicates\n",
                   search_method_name(cfg.search.method), cfg.search.iterations,
                   cfg.search.parallel_samples, cfg.search.metric, cfg.replicates);
        else
            printf("plan: %zu points x %zu types x %d replicates = %zu jobs\n", n_points,
                   n_types, cfg.replicates, n_points * n_types * (size_t)cfg.replicates);
        if (argvv) {
            printf("first job's command (point %s):", points[0].tag);
            for (char **a = argvv; *a; a++)
                printf(" %s", *a);
            printf("\n");
        }
    }
    plan_argv_free(argvv);
    plan_points_free(points, n_points);
    plan_strings_free(types, n_types);
    config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

static int setup_or_teardown(int argc, char **argv, int setup)
{
    cli o;
    config cfg;
    char err[1024];
    int rc = parse_cli(argc, argv, &o);
    if (rc)
        return rc;
    if (config_load(o.config_path, &cfg, err, sizeof err) != 0) {
        log_error("%s", err);
        return 1;
    }
    if (apply_overrides(&o, &cfg) != 0) {
        config_free(&cfg);
        return 1;
    }
    if (cfg.backend != CONFIG_BACKEND_BATCH) {
        log_info("backend %s needs no %s", config_backend_name(cfg.backend),
                 setup ? "setup" : "teardown");
        config_free(&cfg);
        return 0;
    }
    batch_setup_options bo = {0};
    rc = setup ? batch_setup(&cfg, &bo, err, sizeof err) : batch_teardown(&cfg, &bo, err, sizeof err);
    if (rc != 0)
        log_error("%s", err);
    config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

int cmd_setup(int argc, char **argv)
{
    return setup_or_teardown(argc, argv, 1);
}

int cmd_teardown(int argc, char **argv)
{
    return setup_or_teardown(argc, argv, 0);
}

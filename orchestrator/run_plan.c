/* Planning jobs into the journal: the plain plan, a round's points, their result URLs. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "orchestrator/collect.h"
#include "orchestrator/costs.h"
#include "orchestrator/run_internal.h"

/* ---- planning ------------------------------------------------------------------------- */

/* RESULTS/EXPERIMENT/TYPE/TAG/REP/ under the config's results_url, or OUTPUT/jobs/. */
static char *result_url(const run_options *o, const char *type, const char *tag, int rep)
{
    const config *cfg = o->cfg;
    char *base = NULL, *url = NULL;
    const char *results = config_job_results_url(cfg);
    if (results)
        base = strdup(results);
    else
        base = path_join(o->output_dir, "jobs");
    if (!base)
        return NULL;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/' && !(n == 5 && strncmp(base, "s3://", 5) == 0))
        base[--n] = '\0';
    if (asprintf(&url, "%s/%s/%s/%s/%d/", base, cfg->experiment, type, tag, rep) < 0)
        url = NULL;
    free(base);
    return url;
}

/* Adds one point × the given types × replicates to the journal (inside a transaction). */
int run_plan_point_jobs(const run_options *o, const plan_point *p, char *const *types,
                        size_t n_types, int round, size_t *added, char *err, size_t errlen)
{
    const config *cfg = o->cfg;
    char *params = plan_point_params_json(cfg, p);
    long long point_id;
    int created;
    if (!params) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = journal_point_add(o->jn, o->experiment_id, p->tag, round, params, p->nodes,
                               p->gpus, &point_id, &created, err, errlen);
    free(params);
    for (size_t t = 0; rc == 0 && t < n_types; t++) {
        for (int r = 0; rc == 0 && r < cfg->replicates; r++) {
            char *url = result_url(o, types[t], p->tag, r);
            long long job_id;
            if (!url) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            rc = journal_job_add(o->jn, o->experiment_id, point_id, types[t], r, round, url,
                                 &job_id, &created, err, errlen);
            free(url);
            if (rc == 0 && created && added)
                (*added)++;
        }
    }
    return rc;
}

int run_plan_initial(const run_options *o, char *err, size_t errlen)
{
    char **types = NULL;
    size_t n_types = 0, n_points = 0, added = 0;
    plan_point *points = NULL;
    if (o->proposer)
        return 0;   /* a search plans its rounds as it goes */
    if (plan_instance_types(o->cfg, &types, &n_types, err, errlen) != 0)
        return -1;
    if (plan_points(o->cfg, &points, &n_points, err, errlen) != 0) {
        plan_strings_free(types, n_types);
        return -1;
    }
    int rc = journal_begin(o->jn, err, errlen);
    for (size_t i = 0; rc == 0 && i < n_points; i++)
        rc = run_plan_point_jobs(o, &points[i], types, n_types, 0, &added, err, errlen);
    if (rc == 0)
        rc = journal_commit(o->jn, err, errlen);
    else
        journal_rollback(o->jn);
    if (rc == 0 && added)
        log_info("planned %zu jobs: %zu instance types x %zu points x %d replicates", added,
                 n_types, n_points, o->cfg->replicates);
    plan_points_free(points, n_points);
    plan_strings_free(types, n_types);
    return rc;
}

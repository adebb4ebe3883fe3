/* `orchestrate setup|teardown` for AWS Batch (see batch_setup.h). */
#include "orchestrator/batch_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "orchestrator/backend_batch.h"
#include "orchestrator/batch_api.h"
#include "orchestrator/batch_names.h"
#include "orchestrator/ec2_query.h"
#include "orchestrator/plan.h"

typedef struct setup_ctx {
    const config *cfg;
    aws_session *aws;
    double wait_seconds;
    char **types;              /* the plan's instance types */
    size_t n_types;
} setup_ctx;

/* A growable list of owned strings. */
typedef struct str_list {
    char **v;
    size_t n;
} str_list;

static int list_add(str_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 0;
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    l->v = nv;
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static void list_free(str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void aws_err(char *err, size_t errlen, const char *what, const char *name,
                    const aws_error *e)
{
    snprintf(err, errlen, "%s %s: %s%s%s", what, name, e->code, e->code[0] ? ": " : "",
             e->message);
}

/* ---- discovery: network (EC2) and roles (IAM) ----------------------------------------- */

typedef struct xml_pick {
    const char *suffix;        /* path suffix of the wanted element */
    str_list *out;
    int failed;
} xml_pick;

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int pick_cb(void *ud, const char *path, const char *text)
{
    xml_pick *p = ud;
    if (ends_with(path, p->suffix) && *text && list_add(p->out, text) != 0) {
        p->failed = 1;
        return 1;
    }
    return 0;
}

/* Every text of elements whose path ends in suffix, from an XML body. */
static int xml_collect(const aws_response *resp, const char *suffix, str_list *out, char *err,
                       size_t errlen)
{
    xml_pick p = { suffix, out, 0 };
    if (xml_walk(resp->body, resp->body_len, pick_cb, &p, err, errlen) != 0 || p.failed) {
        if (p.failed)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int ec2_list(setup_ctx *c, const char *action, const char *filters, const char *suffix,
                    str_list *out, char *err, size_t errlen)
{
    strbuf form = STRBUF_INIT;
    int rc = ec2_query_param(&form, "Action", action) |
             ec2_query_param(&form, "Version", "2016-11-15");
    if (rc == 0 && filters)
        rc = sb_puts(&form, filters);
    aws_response resp;
    if (rc != 0) {
        sb_free(&form);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = ec2_query_call(c->aws, action, sb_str(&form), &resp, err, errlen);
    sb_free(&form);
    if (rc == 0)
        rc = xml_collect(&resp, suffix, out, err, errlen);
    aws_response_free(&resp);
    return rc;
}

static int discover_network(setup_ctx *c, str_list *subnets, str_list *groups, char *err,
                            size_t errlen)
{
    const config_batch *b = &c->cfg->batch;
    for (size_t i = 0; i < b->n_subnets; i++)
        if (list_add(subnets, b->subnets[i]) != 0)
            return -1;
    for (size_t i = 0; i < b->n_security_groups; i++)
        if (list_add(groups, b->security_groups[i]) != 0)
            return -1;
    str_list vpcs = { 0 };
    int rc = 0;
    if (subnets->n == 0) {
        rc = ec2_list(c, "DescribeSubnets", "&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
                      "/subnetSet/item/subnetId", subnets, err, errlen);
        if (rc == 0 && subnets->n == 0) {
            snprintf(err, errlen, "no default subnets found (no default VPC?): give "
                     "batch.subnets and batch.security_groups in the config");
            rc = -1;
        }
        if (rc == 0)
            log_info("subnets: %zu default-for-AZ subnet(s) of the default VPC", subnets->n);
    }
    if (rc == 0 && groups->n == 0) {
        rc = ec2_list(c, "DescribeSubnets", "&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
                      "/subnetSet/item/vpcId", &vpcs, err, errlen);
        if (rc == 0 && vpcs.n > 0) {
            char filters[256];
            snprintf(filters, sizeof filters, "&Filter.1.Name=group-name&Filter.1.Value.1="
                     "default&Filter.2.Name=vpc-id&Filter.2.Value.1=%.64s", vpcs.v[0]);
            rc = ec2_list(c, "DescribeSecurityGroups", filters,
                          "/securityGroupInfo/item/groupId", groups, err, errlen);
        }
        if (rc == 0 && groups->n == 0) {
            snprintf(err, errlen, "no default security group found: give "
                     "batch.security_groups in the config");
            rc = -1;
        }
    }
    list_free(&vpcs);
    return rc;
}

/* IAM Get<Kind> for NAME: 0 with *arn (caller frees) or NULL when it does not exist. */
static int iam_arn(setup_ctx *c, const char *action, const char *param, const char *name,
                   const char *suffix, char **arn, char *err, size_t errlen)
{
    *arn = NULL;
    strbuf form = STRBUF_INIT;
    if (ec2_query_param(&form, "Action", action) || ec2_query_param(&form, param, name) ||
        ec2_query_param(&form, "Version", "2010-05-08")) {
        sb_free(&form);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static const aws_header headers[] = {
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
    };
    aws_request req = { .service = "iam", .method = "POST", .path = "/", .headers = headers,
                        .n_headers = 1, .body = sb_str(&form), .body_len = form.len };
    aws_response resp = { 0 };
    aws_error e;
    int rc = aws_call(c->aws, &req, &resp, &e);
    sb_free(&form);
    if (rc != 0) {
        aws_response_free(&resp);
        if (e.http_status == 404 || strcmp(e.code, "NoSuchEntity") == 0)
            return 0;
        aws_err(err, errlen, action, name, &e);
        return -1;
    }
    str_list found = { 0 };
    rc = xml_collect(&resp, suffix, &found, err, errlen);
    aws_response_free(&resp);
    if (rc == 0 && found.n > 0)
        *arn = strdup(found.v[0]);
    list_free(&found);
    return rc;
}

typedef struct roles {
    char *instance_role;
    char *service_role;        /* NULL: the service-linked role */
} roles;

static int discover_roles(setup_ctx *c, roles *r, char *err, size_t errlen)
{
    const config_batch *b = &c->cfg->batch;
    memset(r, 0, sizeof *r);
    if (b->instance_role) {
        r->instance_role = strdup(b->instance_role);
    } else {
        if (iam_arn(c, "GetInstanceProfile", "InstanceProfileName", "ecsInstanceRole",
                    "/InstanceProfile/Arn", &r->instance_role, err, errlen) != 0)
            return -1;
        if (!r->instance_role) {
            snprintf(err, errlen, "no instance profile ecsInstanceRole: create it (see the "
                     "AWS Batch docs, \"Amazon ECS instance role\") or give "
                     "batch.instance_role in the config");
            return -1;
        }
    }
    if (b->service_role_arn) {
        r->service_role = strdup(b->service_role_arn);
    } else if (iam_arn(c, "GetRole", "RoleName", "AWSBatchServiceRole", "/Role/Arn",
                       &r->service_role, err, errlen) != 0) {
        free(r->instance_role);
        return -1;
    }
    log_info("instance role %s, service role %s", r->instance_role,
             r->service_role ? r->service_role : "(Batch's service-linked role)");
    return 0;
}

/* ---- waiting for Batch to settle -------------------------------------------------------- */

typedef int (*describe_fn)(aws_session *, const char *const *, size_t, batch_resource **,
                           size_t *, aws_error *);

/* Looks one resource up: 1 found (state and status copied into the buffers), 0 absent or
 * DELETED, -1 error. */
static int lookup(setup_ctx *c, describe_fn fn, const char *name, char state[32],
                  char status[32], char *err, size_t errlen)
{
    const char *names[] = { name };
    batch_resource *v = NULL;
    size_t n = 0;
    aws_error e;
    if (fn(c->aws, names, 1, &v, &n, &e) != 0) {
        batch_resource_free(v, n);
        aws_err(err, errlen, "describing", name, &e);
        return -1;
    }
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) != 0 || (v[i].status && !strcmp(v[i].status, "DELETED")))
            continue;
        snprintf(state, 32, "%s", v[i].state ? v[i].state : "");
        snprintf(status, 32, "%s", v[i].status ? v[i].status : "");
        found = 1;
    }
    batch_resource_free(v, n);
    return found;
}

/* Waits until NAME is gone (want_state NULL) or VALID in want_state. */
static int wait_for(setup_ctx *c, describe_fn fn, const char *name, const char *want_state,
                    char *err, size_t errlen)
{
    double deadline = mono_seconds() + c->wait_seconds, pause = 0.5;
    for (;;) {
        char state[32], status[32];
        int found = lookup(c, fn, name, state, status, err, errlen);
        if (found < 0)
            return -1;
        if (!want_state && !found)
            return 0;
        if (want_state && found && !strcmp(status, "VALID") && !strcmp(state, want_state))
            return 0;
        if (want_state && found && !strcmp(status, "INVALID")) {
            snprintf(err, errlen, "%s is INVALID", name);
            return -1;
        }
        if (mono_seconds() > deadline) {
            snprintf(err, errlen, "%s did not become %s within %.0f s (status %s)", name,
                     want_state ? want_state : "deleted", c->wait_seconds,
                     found ? status : "gone");
            return -1;
        }
        sleep_seconds(pause);
        pause = pause * 2 > 10 ? 10 : pause * 2;
    }
}

/* ---- setup ------------------------------------------------------------------------------- */

static int ensure_compute_environment(setup_ctx *c, const char *name, const char *const *types,
                                      size_t n_types, const str_list *subnets,
                                      const str_list *groups, const roles *r, char *err,
                                      size_t errlen)
{
    char state[32], status[32];
    int found = lookup(c, batch_describe_compute_environments, name, state, status, err,
                       errlen);
    if (found < 0)
        return -1;
    if (found) {
        log_info("compute environment %s exists (%s, %s)", name, state, status);
    } else {
        batch_compute_env ce = {
            .name = name, .spot = c->cfg->batch.spot, .instance_types = types,
            .n_instance_types = n_types, .min_vcpus = 0,
            .max_vcpus = c->cfg->batch.max_vcpus > 0 ? c->cfg->batch.max_vcpus : 256,
            .subnets = (const char *const *)subnets->v, .n_subnets = subnets->n,
            .security_groups = (const char *const *)groups->v,
            .n_security_groups = groups->n, .instance_role = r->instance_role,
            .service_role = r->service_role,
        };
        aws_error e;
        if (batch_create_compute_environment(c->aws, &ce, &e) != 0) {
            aws_err(err, errlen, "CreateComputeEnvironment", name, &e);
            return -1;
        }
        log_info("created compute environment %s", name);
    }
    return wait_for(c, batch_describe_compute_environments, name, "ENABLED", err, errlen);
}

static int ensure_queue(setup_ctx *c, const char *name, const char *ce, char *err,
                        size_t errlen)
{
    char state[32], status[32];
    int found = lookup(c, batch_describe_job_queues, name, state, status, err, errlen);
    if (found < 0)
        return -1;
    if (found) {
        log_info("job queue %s exists (%s, %s)", name, state, status);
    } else {
        const char *ces[] = { ce };
        aws_error e;
        if (batch_create_job_queue(c->aws, name, 1, ces, 1, &e) != 0) {
            aws_err(err, errlen, "CreateJobQueue", name, &e);
            return -1;
        }
        log_info("created job queue %s", name);
    }
    return wait_for(c, batch_describe_job_queues, name, "ENABLED", err, errlen);
}

/* Calls fn for every job definition the plan uses: (type, nodes, gpus, argc). */
typedef int (*def_fn)(setup_ctx *c, const char *type, int nodes, int gpus, int argc,
                      char *err, size_t errlen);

static int for_each_definition(setup_ctx *c, def_fn fn, char *err, size_t errlen)
{
    const config *cfg = c->cfg;
    int mnp_argc = 0;
    plan_point *points = NULL;
    size_t n_points = 0;
    if (plan_points(cfg, &points, &n_points, err, errlen) != 0)
        return -1;
    if (n_points > 0) {
        char **argv = NULL;
        if (plan_argv(cfg, &points[0], &argv, err, errlen) != 0) {
            plan_points_free(points, n_points);
            return -1;
        }
        size_t argc = 0;
        while (argv[argc])
            argc++;
        mnp_argc = (int)batch_mnp_command_length(cfg, argc);
        plan_argv_free(argv);
    }
    plan_points_free(points, n_points);
    int nmin = cfg->nodes_min > 0 ? cfg->nodes_min : 1;
    int nmax = cfg->nodes_max >= nmin ? cfg->nodes_max : nmin;
    size_t n_gpus = cfg->n_gpu_counts ? cfg->n_gpu_counts : 1;
    for (size_t t = 0; t < c->n_types; t++)
        for (int nodes = nmin; nodes <= nmax; nodes++)
            for (size_t g = 0; g < n_gpus; g++) {
                int gpus = cfg->n_gpu_counts ? cfg->gpu_counts[g] : 0;
                int mnp = cfg->batch.pinning == BATCH_PIN_MNP || nodes > 1;
                if (fn(c, c->types[t], nodes, gpus, mnp ? mnp_argc : 0, err, errlen) != 0)
                    return -1;
            }
    return 0;
}

static int register_definition(setup_ctx *c, const char *type, int nodes, int gpus, int argc,
                               char *err, size_t errlen)
{
    char *arn = NULL;
    int rc = batch_ensure_job_definition(c->aws, c->cfg, type, nodes, gpus, argc, &arn, err,
                                         errlen);
    if (rc == 0)
        log_info("job definition %s", arn);
    free(arn);
    return rc;
}

static int ctx_open(setup_ctx *c, const config *cfg, const batch_setup_options *opt,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->wait_seconds = opt && opt->wait_seconds > 0 ? opt->wait_seconds : 600;
    if (plan_instance_types(cfg, &c->types, &c->n_types, err, errlen) != 0)
        return -1;
    aws_session_options so = { .region = cfg->region };
    aws_error e;
    if (aws_session_new(&so, &c->aws, &e) != 0) {
        snprintf(err, errlen, "AWS session: %s", e.message);
        plan_strings_free(c->types, c->n_types);
        return -1;
    }
    return 0;
}

static void ctx_close(setup_ctx *c)
{
    aws_session_free(c->aws);
    plan_strings_free(c->types, c->n_types);
}

static int setup_environments(setup_ctx *c, const str_list *subnets, const str_list *groups,
                              const roles *r, char *err, size_t errlen)
{
    const config *cfg = c->cfg;
    char ce[BATCH_NAME_MAX], queue[BATCH_NAME_MAX];
    if (cfg->batch.pinning == BATCH_PIN_QUEUE_PER_TYPE) {
        for (size_t t = 0; t < c->n_types; t++) {
            const char *one[] = { c->types[t] };
            batch_ce_name(cfg, c->types[t], ce);
            batch_queue_name(cfg, c->types[t], queue);
            if (ensure_compute_environment(c, ce, one, 1, subnets, groups, r, err, errlen) ||
                ensure_queue(c, queue, ce, err, errlen))
                return -1;
        }
        return 0;
    }
    /* mnp: one environment allowing every type; each job names its own. */
    batch_ce_name(cfg, c->types[0], ce);
    batch_queue_name(cfg, c->types[0], queue);
    if (ensure_compute_environment(c, ce, (const char *const *)c->types, c->n_types, subnets,
                                   groups, r, err, errlen))
        return -1;
    return ensure_queue(c, queue, ce, err, errlen);
}

int batch_setup(const config *cfg, const batch_setup_options *opt, char *err, size_t errlen)
{
    setup_ctx c;
    if (ctx_open(&c, cfg, opt, err, errlen) != 0)
        return -1;
    str_list subnets = { 0 }, groups = { 0 };
    roles r = { 0 };
    int rc = -1;
    if (c.n_types == 0) {
        snprintf(err, errlen, "the config plans no instance types");
        goto out;
    }
    if (cfg->batch.spot &&
        (cfg->batch.pinning == BATCH_PIN_MNP || (cfg->nodes_max > 1))) {
        snprintf(err, errlen, "AWS Batch runs no multi-node parallel jobs on Spot capacity: "
                 "use batch.pinning: queue-per-type with one node, or spot: false");
        goto out;
    }
    if (discover_network(&c, &subnets, &groups, err, errlen) != 0 ||
        discover_roles(&c, &r, err, errlen) != 0)
        goto out;
    if (setup_environments(&c, &subnets, &groups, &r, err, errlen) != 0 ||
        for_each_definition(&c, register_definition, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    free(r.instance_role);
    free(r.service_role);
    list_free(&subnets);
    list_free(&groups);
    ctx_close(&c);
    return rc;
}

/* ---- teardown ------------------------------------------------------------------------------ */

/* Disables, waits, deletes and waits until gone; a missing resource is fine. */
static int remove_resource(setup_ctx *c, int queue, const char *name, char *err, size_t errlen)
{
    describe_fn fn = queue ? batch_describe_job_queues : batch_describe_compute_environments;
    char state[32], status[32];
    int found = lookup(c, fn, name, state, status, err, errlen);
    if (found <= 0)
        return found;
    aws_error e;
    if (strcmp(state, "DISABLED") != 0) {
        int rc = queue ? batch_update_job_queue_state(c->aws, name, "DISABLED", &e)
                       : batch_update_compute_environment_state(c->aws, name, "DISABLED", &e);
        if (rc != 0) {
            aws_err(err, errlen, "disabling", name, &e);
            return -1;
        }
    }
    if (wait_for(c, fn, name, "DISABLED", err, errlen) != 0)
        return -1;
    int rc = queue ? batch_delete_job_queue(c->aws, name, &e)
                   : batch_delete_compute_environment(c->aws, name, &e);
    if (rc != 0) {
        aws_err(err, errlen, "deleting", name, &e);
        return -1;
    }
    if (wait_for(c, fn, name, NULL, err, errlen) != 0)
        return -1;
    log_info("deleted %s %s", queue ? "job queue" : "compute environment", name);
    return 0;
}

static int deregister_definition(setup_ctx *c, const char *type, int nodes, int gpus, int argc,
                                 char *err, size_t errlen)
{
    char name[BATCH_NAME_MAX];
    batch_jobdef_name(c->cfg, type, nodes, gpus, argc, name);
    int count = 0;
    aws_error e;
    if (batch_deregister_job_definitions(c->aws, name, &count, &e) != 0) {
        aws_err(err, errlen, "deregistering", name, &e);
        return -1;
    }
    if (count)
        log_info("deregistered %d revision(s) of job definition %s", count, name);
    return 0;
}

int batch_teardown(const config *cfg, const batch_setup_options *opt, char *err,
                   size_t errlen)
{
    setup_ctx c;
    if (ctx_open(&c, cfg, opt, err, errlen) != 0)
        return -1;
    str_list queues = { 0 }, ces = { 0 };
    int rc = 0;
    for (size_t t = 0; t < c.n_types && rc == 0; t++) {
        char name[BATCH_NAME_MAX];
        batch_queue_name(cfg, c.types[t], name);
        rc = list_add(&queues, name);
        batch_ce_name(cfg, c.types[t], name);
        rc |= list_add(&ces, name);
    }
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    /* Queues first: a compute environment cannot go while a queue still uses it. */
    for (size_t i = 0; rc == 0 && i < queues.n; i++)
        rc = remove_resource(&c, 1, queues.v[i], err, errlen);
    for (size_t i = 0; rc == 0 && i < ces.n; i++)
        rc = remove_resource(&c, 0, ces.v[i], err, errlen);
    if (rc == 0 && !(opt && opt->keep_definitions))
        rc = for_each_definition(&c, deregister_definition, err, errlen);
    list_free(&queues);
    list_free(&ces);
    ctx_close(&c);
    return rc;
}

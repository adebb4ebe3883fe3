/* AWS Batch REST-JSON requests and responses (see batch_api.h). */
#include "orchestrator/batch_api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON building ---------------------------------------------------------------------- */

/* jansson's *_new functions steal their argument; a NULL argument (allocation failure)
 * makes the set fail, which we surface as -1 through `ok`. */
static void set_new(json_t *obj, const char *key, json_t *val, int *ok)
{
    if (!val || json_object_set_new(obj, key, val) != 0)
        *ok = 0;
}

static void append_new(json_t *arr, json_t *val, int *ok)
{
    if (!val || json_array_append_new(arr, val) != 0)
        *ok = 0;
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    int ok = a != NULL;
    for (size_t i = 0; ok && i < n; i++)
        append_new(a, json_string(v[i] ? v[i] : ""), &ok);
    if (!ok) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* [{"name": N, "value": V}, ...]: the environment's shape. */
static json_t *name_value_array(const batch_kv *kv, size_t n)
{
    json_t *a = json_array();
    int ok = a != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *o = json_object();
        if (o) {
            set_new(o, "name", json_string(kv[i].name), &ok);
            set_new(o, "value", json_string(kv[i].value ? kv[i].value : ""), &ok);
        }
        append_new(a, o, &ok);
    }
    if (!ok) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* {N: V, ...}: the shape of tags and parameters. */
static json_t *kv_object(const batch_kv *kv, size_t n)
{
    json_t *o = json_object();
    int ok = o != NULL;
    for (size_t i = 0; ok && i < n; i++)
        set_new(o, kv[i].name, json_string(kv[i].value ? kv[i].value : ""), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *resource_requirement(const char *type, const char *value)
{
    return json_pack("{s:s, s:s}", "type", type, "value", value);
}

static json_t *resource_requirements(const batch_container_spec *c)
{
    char buf[64];
    json_t *a = json_array();
    int ok = a != NULL;
    snprintf(buf, sizeof buf, "%g", c->vcpus > 0 ? c->vcpus : 1.0);
    append_new(a, resource_requirement("VCPU", buf), &ok);
    snprintf(buf, sizeof buf, "%lld", c->memory_mib > 0 ? c->memory_mib : 512LL);
    append_new(a, resource_requirement("MEMORY", buf), &ok);
    if (c->gpus > 0) {
        snprintf(buf, sizeof buf, "%d", c->gpus);
        append_new(a, resource_requirement("GPU", buf), &ok);
    }
    if (!ok) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *container_properties(const batch_container_spec *c, int multinode)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    set_new(o, "image", json_string(c->image ? c->image : ""), &ok);
    set_new(o, "resourceRequirements", resource_requirements(c), &ok);
    if (c->command)
        set_new(o, "command", str_array(c->command, c->n_command), &ok);
    if (c->n_env)
        set_new(o, "environment", name_value_array(c->env, c->n_env), &ok);
    if (c->job_role_arn)
        set_new(o, "jobRoleArn", json_string(c->job_role_arn), &ok);
    if (c->execution_role_arn)
        set_new(o, "executionRoleArn", json_string(c->execution_role_arn), &ok);
    if (multinode && c->instance_type)
        set_new(o, "instanceType", json_string(c->instance_type), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* One node range "0:" covering every node: all nodes run the same container. */
static json_t *node_properties(const batch_job_definition *d)
{
    json_t *range = json_object();
    json_t *ranges = json_array();
    json_t *np = json_object();
    int ok = range && ranges && np;
    if (ok) {
        set_new(range, "targetNodes", json_string("0:"), &ok);
        set_new(range, "container", container_properties(&d->container, 1), &ok);
        append_new(ranges, range, &ok);
        range = NULL;
        set_new(np, "numNodes", json_integer(d->num_nodes > 0 ? d->num_nodes : 1), &ok);
        set_new(np, "mainNode", json_integer(0), &ok);
        set_new(np, "nodeRangeProperties", ranges, &ok);
        ranges = NULL;
    }
    json_decref(range);
    json_decref(ranges);
    if (!ok) {
        json_decref(np);
        return NULL;
    }
    return np;
}

static char *dump_and_free(json_t *o, int ok)
{
    char *s = ok ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

char *batch_build_register_job_definition(const batch_job_definition *d)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    set_new(o, "jobDefinitionName", json_string(d->name), &ok);
    if (d->multinode) {
        set_new(o, "type", json_string("multinode"), &ok);
        set_new(o, "nodeProperties", node_properties(d), &ok);
    } else {
        set_new(o, "type", json_string("container"), &ok);
        set_new(o, "containerProperties", container_properties(&d->container, 0), &ok);
    }
    if (d->timeout_seconds > 0)
        set_new(o, "timeout",
                json_pack("{s:i}", "attemptDurationSeconds", d->timeout_seconds), &ok);
    if (d->retry_attempts > 0)
        set_new(o, "retryStrategy", json_pack("{s:i}", "attempts", d->retry_attempts), &ok);
    if (d->n_parameters)
        set_new(o, "parameters", kv_object(d->parameters, d->n_parameters), &ok);
    if (d->n_tags)
        set_new(o, "tags", kv_object(d->tags, d->n_tags), &ok);
    return dump_and_free(o, ok);
}

static json_t *container_overrides(const batch_submit *j)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    if (j->command)
        set_new(o, "command", str_array(j->command, j->n_command), &ok);
    if (j->n_env)
        set_new(o, "environment", name_value_array(j->env, j->n_env), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *node_overrides(const batch_submit *j)
{
    json_t *np = json_object();
    int ok = np != NULL;
    if (!ok)
        return NULL;
    json_t *one = json_object();
    json_t *list = json_array();
    if (one) {
        set_new(one, "targetNodes", json_string("0:"), &ok);
        set_new(one, "containerOverrides", container_overrides(j), &ok);
    }
    append_new(list, one, &ok);
    set_new(np, "nodePropertyOverrides", list, &ok);
    if (j->num_nodes > 0)
        set_new(np, "numNodes", json_integer(j->num_nodes), &ok);
    if (!ok) {
        json_decref(np);
        return NULL;
    }
    return np;
}

char *batch_build_submit_job(const batch_submit *j)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    set_new(o, "jobName", json_string(j->job_name), &ok);
    set_new(o, "jobQueue", json_string(j->job_queue), &ok);
    set_new(o, "jobDefinition", json_string(j->job_definition), &ok);
    if (j->array_size >= 2)
        set_new(o, "arrayProperties", json_pack("{s:i}", "size", j->array_size), &ok);
    if (j->command || j->n_env) {
        if (j->multinode)
            set_new(o, "nodeOverrides", node_overrides(j), &ok);
        else
            set_new(o, "containerOverrides", container_overrides(j), &ok);
    }
    if (j->n_parameters)
        set_new(o, "parameters", kv_object(j->parameters, j->n_parameters), &ok);
    if (j->timeout_seconds > 0)
        set_new(o, "timeout",
                json_pack("{s:i}", "attemptDurationSeconds", j->timeout_seconds), &ok);
    if (j->n_tags)
        set_new(o, "tags", kv_object(j->tags, j->n_tags), &ok);
    return dump_and_free(o, ok);
}

char *batch_build_describe_jobs(const char *const *ids, size_t n)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    set_new(o, "jobs", str_array(ids, n), &ok);
    return dump_and_free(o, ok);
}

char *batch_build_list_jobs(const batch_list_query *q, const char *next_token)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (!ok)
        return NULL;
    if (q->job_queue)
        set_new(o, "jobQueue", json_string(q->job_queue), &ok);
    if (q->array_job_id)
        set_new(o, "arrayJobId", json_string(q->array_job_id), &ok);
    if (q->name_filter)
        set_new(o, "filters",
                json_pack("[{s:s, s:[s]}]", "name", "JOB_NAME", "values", q->name_filter), &ok);
    else if (q->status)
        set_new(o, "jobStatus", json_string(q->status), &ok);
    if (next_token)
        set_new(o, "nextToken", json_string(next_token), &ok);
    return dump_and_free(o, ok);
}

char *batch_build_create_compute_environment(const batch_compute_env *ce)
{
    json_t *o = json_object();
    json_t *cr = json_object();
    int ok = o && cr;
    if (!ok) {
        json_decref(o);
        json_decref(cr);
        return NULL;
    }
    set_new(cr, "type", json_string(ce->spot ? "SPOT" : "EC2"), &ok);
    set_new(cr, "allocationStrategy",
            json_string(ce->spot ? "SPOT_CAPACITY_OPTIMIZED" : "BEST_FIT_PROGRESSIVE"), &ok);
    set_new(cr, "minvCpus", json_integer(ce->min_vcpus), &ok);
    set_new(cr, "maxvCpus", json_integer(ce->max_vcpus), &ok);
    set_new(cr, "instanceTypes", str_array(ce->instance_types, ce->n_instance_types), &ok);
    set_new(cr, "subnets", str_array(ce->subnets, ce->n_subnets), &ok);
    set_new(cr, "securityGroupIds", str_array(ce->security_groups, ce->n_security_groups),
            &ok);
    if (ce->instance_role)
        set_new(cr, "instanceRole", json_string(ce->instance_role), &ok);
    set_new(o, "computeEnvironmentName", json_string(ce->name), &ok);
    set_new(o, "type", json_string("MANAGED"), &ok);
    set_new(o, "state", json_string("ENABLED"), &ok);
    set_new(o, "computeResources", cr, &ok);
    if (ce->service_role)
        set_new(o, "serviceRole", json_string(ce->service_role), &ok);
    if (ce->n_tags)
        set_new(o, "tags", kv_object(ce->tags, ce->n_tags), &ok);
    return dump_and_free(o, ok);
}

char *batch_build_create_job_queue(const char *name, int priority,
                                   const char *const *compute_envs, size_t n)
{
    json_t *o = json_object();
    json_t *order = json_array();
    int ok = o && order;
    for (size_t i = 0; ok && i < n; i++)
        append_new(order,
                   json_pack("{s:i, s:s}", "order", (int)i + 1, "computeEnvironment",
                             compute_envs[i]),
                   &ok);
    if (!o) {
        json_decref(order);
        return NULL;
    }
    set_new(o, "jobQueueName", json_string(name), &ok);
    set_new(o, "priority", json_integer(priority), &ok);
    set_new(o, "state", json_string("ENABLED"), &ok);
    set_new(o, "computeEnvironmentOrder", order, &ok);
    return dump_and_free(o, ok);
}

/* ---- JSON parsing ----------------------------------------------------------------------- */

static json_t *parse_body(const char *body)
{
    if (!body)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
    if (root && !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A copy of obj[key] when it is a string; NULL otherwise (also on ENOMEM). */
static char *dup_string(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? strdup(s) : NULL;
}

/* Batch times are epoch milliseconds. */
static double get_ms_time(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) / 1000.0 : 0.0;
}

int batch_parse_register_job_definition(const char *body, char **arn)
{
    json_t *root = parse_body(body);
    *arn = root ? dup_string(root, "jobDefinitionArn") : NULL;
    json_decref(root);
    return *arn ? 0 : -1;
}

int batch_parse_submit_job(const char *body, char **job_id)
{
    json_t *root = parse_body(body);
    *job_id = root ? dup_string(root, "jobId") : NULL;
    json_decref(root);
    return *job_id ? 0 : -1;
}

static const char *const status_names[] = {
    "SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED", "UNKNOWN"
};

batch_job_status batch_status_parse(const char *s)
{
    for (int i = 0; s && i < BATCH_STATUS_UNKNOWN; i++)
        if (strcmp(s, status_names[i]) == 0)
            return (batch_job_status)i;
    return BATCH_STATUS_UNKNOWN;
}

const char *batch_status_name(batch_job_status s)
{
    return (unsigned)s <= BATCH_STATUS_UNKNOWN ? status_names[s] : "UNKNOWN";
}

static void job_info_clear(batch_job_info *ji)
{
    free(ji->job_id);
    free(ji->job_name);
    free(ji->status_reason);
    free(ji->log_stream_name);
}

void batch_job_info_free(batch_job_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        job_info_clear(&v[i]);
    free(v);
}

static int get_exit_code(const json_t *container)
{
    json_t *v = json_object_get(container, "exitCode");
    return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

/* The last attempt's container fills what the job's own container object leaves out (a
 * job that was retried reports its latest try there). */
static int fill_job_info(const json_t *j, batch_job_info *ji)
{
    memset(ji, 0, sizeof *ji);
    ji->exit_code = -1;
    ji->array_index = -1;
    ji->job_id = dup_string(j, "jobId");
    if (!ji->job_id)
        return -1;
    ji->job_name = dup_string(j, "jobName");
    ji->status = batch_status_parse(json_string_value(json_object_get(j, "status")));
    ji->created_at = get_ms_time(j, "createdAt");
    ji->started_at = get_ms_time(j, "startedAt");
    ji->stopped_at = get_ms_time(j, "stoppedAt");
    ji->status_reason = dup_string(j, "statusReason");

    const json_t *c = json_object_get(j, "container");
    ji->exit_code = get_exit_code(c);
    ji->log_stream_name = dup_string(c, "logStreamName");
    if (!ji->status_reason)
        ji->status_reason = dup_string(c, "reason");

    const json_t *attempts = json_object_get(j, "attempts");
    ji->n_attempts = (int)json_array_size(attempts);
    if (ji->n_attempts > 0) {
        const json_t *last = json_array_get(attempts, (size_t)ji->n_attempts - 1);
        const json_t *ac = json_object_get(last, "container");
        if (ji->exit_code < 0)
            ji->exit_code = get_exit_code(ac);
        if (!ji->log_stream_name)
            ji->log_stream_name = dup_string(ac, "logStreamName");
        if (!ji->status_reason)
            ji->status_reason = dup_string(ac, "reason");
        if (!ji->status_reason)
            ji->status_reason = dup_string(last, "statusReason");
    }

    const json_t *ap = json_object_get(j, "arrayProperties");
    json_t *size = json_object_get(ap, "size");
    json_t *index = json_object_get(ap, "index");
    if (json_is_integer(size))
        ji->array_size = (int)json_integer_value(size);
    const json_t *summary = json_object_get(ap, "statusSummary");
    if (json_is_object(summary)) {
        const char *key;
        json_t *count;
        ji->has_summary = 1;
        json_object_foreach((json_t *)summary, key, count) {
            batch_job_status st = batch_status_parse(key);
            if (st != BATCH_STATUS_UNKNOWN && json_is_integer(count))
                ji->summary[st] = (int)json_integer_value(count);
        }
    }
    if (json_is_integer(index))
        ji->array_index = (int)json_integer_value(index);
    return 0;
}

int batch_parse_describe_jobs(const char *body, batch_job_info **v, size_t *n)
{
    json_t *root = parse_body(body);
    json_t *jobs = root ? json_object_get(root, "jobs") : NULL;
    if (!json_is_array(jobs)) {
        json_decref(root);
        return -1;
    }
    size_t add = json_array_size(jobs);
    batch_job_info *nv = realloc(*v, (*n + add + 1) * sizeof *nv);
    if (!nv) {
        json_decref(root);
        return -1;
    }
    *v = nv;
    int rc = 0;
    for (size_t i = 0; i < add; i++) {
        const json_t *j = json_array_get(jobs, i);
        if (!json_is_object(j) || fill_job_info(j, &nv[*n]) != 0) {
            if (json_is_object(j))
                job_info_clear(&nv[*n]);
            rc = -1;
            break;
        }
        (*n)++;
    }
    json_decref(root);
    return rc;
}

void batch_job_summary_free(batch_job_summary *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].job_id);
        free(v[i].job_name);
    }
    free(v);
}

static int dup_next_token(const json_t *root, char **next_token)
{
    *next_token = NULL;
    const char *t = json_string_value(json_object_get(root, "nextToken"));
    if (t && *t && !(*next_token = strdup(t)))
        return -1;
    return 0;
}

int batch_parse_list_jobs(const char *body, batch_job_summary **v, size_t *n,
                          char **next_token)
{
    *next_token = NULL;
    json_t *root = parse_body(body);
    json_t *list = root ? json_object_get(root, "jobSummaryList") : NULL;
    if (!json_is_array(list)) {
        json_decref(root);
        return -1;
    }
    size_t add = json_array_size(list);
    batch_job_summary *nv = realloc(*v, (*n + add + 1) * sizeof *nv);
    if (!nv) {
        json_decref(root);
        return -1;
    }
    *v = nv;
    int rc = 0;
    for (size_t i = 0; i < add && rc == 0; i++) {
        const json_t *j = json_array_get(list, i);
        batch_job_summary *s = &nv[*n];
        s->job_id = dup_string(j, "jobId");
        s->job_name = dup_string(j, "jobName");
        s->status = batch_status_parse(json_string_value(json_object_get(j, "status")));
        s->created_at = get_ms_time(j, "createdAt");
        if (!s->job_id || !s->job_name) {
            free(s->job_id);
            free(s->job_name);
            rc = -1;
        } else {
            (*n)++;
        }
    }
    if (rc == 0)
        rc = dup_next_token(root, next_token);
    json_decref(root);
    return rc;
}

void batch_resource_free(batch_resource *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].arn);
        free(v[i].state);
        free(v[i].status);
        free(v[i].status_reason);
    }
    free(v);
}

int batch_parse_resources(const char *body, const char *kind, batch_resource **v, size_t *n,
                          char **next_token)
{
    int queues = strcmp(kind, "jobQueues") == 0;
    *next_token = NULL;
    json_t *root = parse_body(body);
    json_t *list = root ? json_object_get(root, kind) : NULL;
    if (!json_is_array(list)) {
        json_decref(root);
        return -1;
    }
    size_t add = json_array_size(list);
    batch_resource *nv = realloc(*v, (*n + add + 1) * sizeof *nv);
    if (!nv) {
        json_decref(root);
        return -1;
    }
    *v = nv;
    int rc = 0;
    for (size_t i = 0; i < add && rc == 0; i++) {
        const json_t *r = json_array_get(list, i);
        batch_resource *x = &nv[*n];
        x->name = dup_string(r, queues ? "jobQueueName" : "computeEnvironmentName");
        x->arn = dup_string(r, queues ? "jobQueueArn" : "computeEnvironmentArn");
        x->state = dup_string(r, "state");
        x->status = dup_string(r, "status");
        x->status_reason = dup_string(r, "statusReason");
        if (!x->name) {
            free(x->arn);
            free(x->state);
            free(x->status);
            free(x->status_reason);
            rc = -1;
        } else {
            (*n)++;
        }
    }
    if (rc == 0)
        rc = dup_next_token(root, next_token);
    json_decref(root);
    return rc;
}

static int tag_matches(const json_t *jd, const char *key, const char *value)
{
    const char *v = json_string_value(json_object_get(json_object_get(jd, "tags"), key));
    return v && strcmp(v, value) == 0;
}

int batch_parse_find_job_definition(const char *body, const char *tag_key,
                                    const char *tag_value, char **arn, char **next_token)
{
    *next_token = NULL;
    json_t *root = parse_body(body);
    json_t *list = root ? json_object_get(root, "jobDefinitions") : NULL;
    if (!json_is_array(list)) {
        json_decref(root);
        return -1;
    }
    /* Keep the highest matching revision seen so far across pages: *arn may hold one. */
    long long best = -1;
    if (*arn) {
        const char *colon = strrchr(*arn, ':');
        best = colon ? strtoll(colon + 1, NULL, 10) : 0;
    }
    size_t i;
    json_t *jd;
    json_array_foreach(list, i, jd) {
        const char *status = json_string_value(json_object_get(jd, "status"));
        json_t *rev = json_object_get(jd, "revision");
        const char *a = json_string_value(json_object_get(jd, "jobDefinitionArn"));
        if (!a || (status && strcmp(status, "ACTIVE") != 0) || !json_is_integer(rev))
            continue;
        if (!tag_matches(jd, tag_key, tag_value) || json_integer_value(rev) <= best)
            continue;
        char *copy = strdup(a);
        if (!copy) {
            json_decref(root);
            return -1;
        }
        free(*arn);
        *arn = copy;
        best = json_integer_value(rev);
    }
    int rc = dup_next_token(root, next_token);
    json_decref(root);
    return rc;
}

/* ---- calls ---------------------------------------------------------------------------------- */

/* POSTs body to /v1/OP; on success *out is the response body (caller frees) or NULL when
 * out is NULL. */
static int batch_post(aws_session *s, const char *op, const char *body, char **out,
                      aws_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/%s", op);
    const aws_header headers[] = { { "Content-Type", "application/json" } };
    aws_request req = {
        .service = "batch", .method = "POST", .path = path,
        .headers = headers, .n_headers = 1,
        .body = body, .body_len = strlen(body),
    };
    aws_response resp = { 0 };
    int rc = aws_call(s, &req, &resp, err);
    if (rc == 0 && out) {
        *out = resp.body;
        resp.body = NULL;
    }
    aws_response_free(&resp);
    return rc;
}

static void set_error(aws_error *err, const char *code, const char *fmt, const char *what)
{
    memset(err, 0, sizeof *err);
    snprintf(err->code, sizeof err->code, "%s", code);
    snprintf(err->message, sizeof err->message, fmt, what);
}

/* Builds (already done by the caller: body may be NULL on ENOMEM), posts and frees. */
static int post_built(aws_session *s, const char *op, char *body, char **out, aws_error *err)
{
    if (!body) {
        set_error(err, "ClientError", "%s: out of memory building the request", op);
        return -1;
    }
    int rc = batch_post(s, op, body, out, err);
    free(body);
    return rc;
}

static int bad_response(aws_error *err, const char *op)
{
    set_error(err, "InvalidResponse", "%s: unexpected response from AWS Batch", op);
    return -1;
}

int batch_register_job_definition(aws_session *s, const batch_job_definition *d, char **arn,
                                  aws_error *err)
{
    char *out = NULL;
    *arn = NULL;
    if (post_built(s, "registerjobdefinition", batch_build_register_job_definition(d), &out,
                   err) != 0)
        return -1;
    int rc = batch_parse_register_job_definition(out, arn);
    free(out);
    return rc == 0 ? 0 : bad_response(err, "RegisterJobDefinition");
}

/* DescribeJobDefinitions by name and status, one page. */
static char *build_describe_job_definitions(const char *name, const char *next_token)
{
    json_t *o = json_pack("{s:s, s:s}", "jobDefinitionName", name, "status", "ACTIVE");
    int ok = o != NULL;
    if (ok && next_token)
        set_new(o, "nextToken", json_string(next_token), &ok);
    return o ? dump_and_free(o, ok) : NULL;
}

int batch_find_job_definition(aws_session *s, const char *name, const char *tag_key,
                              const char *tag_value, char **arn, aws_error *err)
{
    *arn = NULL;
    char *token = NULL;
    do {
        char *out = NULL;
        char *body = build_describe_job_definitions(name, token);
        free(token);
        token = NULL;
        if (post_built(s, "describejobdefinitions", body, &out, err) != 0)
            break;
        int rc = batch_parse_find_job_definition(out, tag_key, tag_value, arn, &token);
        free(out);
        if (rc != 0) {
            free(token);
            free(*arn);
            *arn = NULL;
            return bad_response(err, "DescribeJobDefinitions");
        }
        if (!token)
            return 0;
    } while (1);
    free(*arn);
    *arn = NULL;
    return -1;
}

/* The ARNs of every ACTIVE revision in one DescribeJobDefinitions page. */
static int collect_definition_arns(const char *body, char ***arns, size_t *n, char **token)
{
    json_t *root = parse_body(body);
    json_t *list = root ? json_object_get(root, "jobDefinitions") : NULL;
    if (!json_is_array(list) || dup_next_token(root, token) != 0) {
        json_decref(root);
        return -1;
    }
    size_t i;
    json_t *jd;
    int rc = 0;
    json_array_foreach(list, i, jd) {
        const char *a = json_string_value(json_object_get(jd, "jobDefinitionArn"));
        const char *status = json_string_value(json_object_get(jd, "status"));
        if (!a || (status && strcmp(status, "ACTIVE") != 0))
            continue;
        char **nv = realloc(*arns, (*n + 1) * sizeof *nv);
        if (!nv || !(nv[*n] = strdup(a))) {
            if (nv)
                *arns = nv;
            rc = -1;
            break;
        }
        *arns = nv;
        (*n)++;
    }
    json_decref(root);
    return rc;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int batch_deregister_job_definitions(aws_session *s, const char *name, int *count,
                                     aws_error *err)
{
    char **arns = NULL;
    size_t n = 0;
    char *token = NULL;
    *count = 0;
    do {
        char *out = NULL;
        char *body = build_describe_job_definitions(name, token);
        free(token);
        token = NULL;
        if (post_built(s, "describejobdefinitions", body, &out, err) != 0) {
            free_strings(arns, n);
            return -1;
        }
        int rc = collect_definition_arns(out, &arns, &n, &token);
        free(out);
        if (rc != 0) {
            free(token);
            free_strings(arns, n);
            return bad_response(err, "DescribeJobDefinitions");
        }
    } while (token);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *o = json_pack("{s:s}", "jobDefinition", arns[i]);
        rc = post_built(s, "deregisterjobdefinition", o ? dump_and_free(o, 1) : NULL, NULL,
                        err);
        if (rc == 0)
            (*count)++;
    }
    free_strings(arns, n);
    return rc;
}

int batch_submit_job(aws_session *s, const batch_submit *j, char **job_id, aws_error *err)
{
    char *out = NULL;
    *job_id = NULL;
    if (post_built(s, "submitjob", batch_build_submit_job(j), &out, err) != 0)
        return -1;
    int rc = batch_parse_submit_job(out, job_id);
    free(out);
    return rc == 0 ? 0 : bad_response(err, "SubmitJob");
}

int batch_describe_jobs(aws_session *s, const char *const *ids, size_t n, batch_job_info **v,
                        size_t *nv, size_t *calls, aws_error *err)
{
    for (size_t off = 0; off < n; off += BATCH_DESCRIBE_MAX) {
        size_t chunk = n - off < BATCH_DESCRIBE_MAX ? n - off : BATCH_DESCRIBE_MAX;
        char *out = NULL;
        if (post_built(s, "describejobs", batch_build_describe_jobs(ids + off, chunk), &out,
                       err) != 0)
            return -1;
        if (calls)
            (*calls)++;
        int rc = batch_parse_describe_jobs(out, v, nv);
        free(out);
        if (rc != 0)
            return bad_response(err, "DescribeJobs");
    }
    return 0;
}

int batch_list_jobs(aws_session *s, const batch_list_query *q, batch_job_summary **v,
                    size_t *n, aws_error *err)
{
    char *token = NULL;
    do {
        char *out = NULL;
        char *body = batch_build_list_jobs(q, token);
        free(token);
        token = NULL;
        if (post_built(s, "listjobs", body, &out, err) != 0)
            return -1;
        int rc = batch_parse_list_jobs(out, v, n, &token);
        free(out);
        if (rc != 0)
            return bad_response(err, "ListJobs");
    } while (token);
    return 0;
}

static int job_action(aws_session *s, const char *op, const char *job_id, const char *reason,
                      aws_error *err)
{
    json_t *o = json_pack("{s:s, s:s}", "jobId", job_id, "reason",
                          reason && *reason ? reason : "orchestrate");
    return post_built(s, op, o ? dump_and_free(o, 1) : NULL, NULL, err);
}

int batch_terminate_job(aws_session *s, const char *job_id, const char *reason, aws_error *err)
{
    return job_action(s, "terminatejob", job_id, reason, err);
}

int batch_cancel_job(aws_session *s, const char *job_id, const char *reason, aws_error *err)
{
    return job_action(s, "canceljob", job_id, reason, err);
}

int batch_create_compute_environment(aws_session *s, const batch_compute_env *ce,
                                     aws_error *err)
{
    return post_built(s, "createcomputeenvironment",
                      batch_build_create_compute_environment(ce), NULL, err);
}

int batch_update_compute_environment_state(aws_session *s, const char *name, const char *state,
                                           aws_error *err)
{
    json_t *o = json_pack("{s:s, s:s}", "computeEnvironment", name, "state", state);
    return post_built(s, "updatecomputeenvironment", o ? dump_and_free(o, 1) : NULL, NULL,
                      err);
}

int batch_delete_compute_environment(aws_session *s, const char *name, aws_error *err)
{
    json_t *o = json_pack("{s:s}", "computeEnvironment", name);
    return post_built(s, "deletecomputeenvironment", o ? dump_and_free(o, 1) : NULL, NULL,
                      err);
}

int batch_create_job_queue(aws_session *s, const char *name, int priority,
                           const char *const *compute_envs, size_t n, aws_error *err)
{
    return post_built(s, "createjobqueue",
                      batch_build_create_job_queue(name, priority, compute_envs, n), NULL, err);
}

int batch_update_job_queue_state(aws_session *s, const char *name, const char *state,
                                 aws_error *err)
{
    json_t *o = json_pack("{s:s, s:s}", "jobQueue", name, "state", state);
    return post_built(s, "updatejobqueue", o ? dump_and_free(o, 1) : NULL, NULL, err);
}

int batch_delete_job_queue(aws_session *s, const char *name, aws_error *err)
{
    json_t *o = json_pack("{s:s}", "jobQueue", name);
    return post_built(s, "deletejobqueue", o ? dump_and_free(o, 1) : NULL, NULL, err);
}

static int describe_resources(aws_session *s, const char *op, const char *kind,
                              const char *const *names, size_t n, batch_resource **v,
                              size_t *nv, aws_error *err)
{
    char *token = NULL;
    do {
        json_t *o = json_object();
        int ok = o != NULL;
        if (ok && n)
            set_new(o, kind, str_array(names, n), &ok);
        if (ok && token)
            set_new(o, "nextToken", json_string(token), &ok);
        free(token);
        token = NULL;
        char *out = NULL;
        if (post_built(s, op, o ? dump_and_free(o, ok) : NULL, &out, err) != 0)
            return -1;
        int rc = batch_parse_resources(out, kind, v, nv, &token);
        free(out);
        if (rc != 0)
            return bad_response(err, op);
    } while (token);
    return 0;
}

int batch_describe_compute_environments(aws_session *s, const char *const *names, size_t n,
                                        batch_resource **v, size_t *nv, aws_error *err)
{
    return describe_resources(s, "describecomputeenvironments", "computeEnvironments", names,
                              n, v, nv, err);
}

int batch_describe_job_queues(aws_session *s, const char *const *names, size_t n,
                              batch_resource **v, size_t *nv, aws_error *err)
{
    return describe_resources(s, "describejobqueues", "jobQueues", names, n, v, nv, err);
}

void batch_sanitize_name(const char *s, size_t maxlen, char *out, size_t outlen)
{
    size_t o = 0;
    for (; s && *s && o < maxlen && o + 1 < outlen; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        out[o++] = ok ? c : '-';
    }
    if (outlen)
        out[o] = '\0';
}

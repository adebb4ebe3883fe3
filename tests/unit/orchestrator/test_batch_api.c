/* AWS Batch request bodies and response parsing (orchestrator/batch_api.c). */
#include <jansson.h>
#include <stdlib.h>

#include "orchestrator/batch_api.h"
#include "orchestrator/cloudwatch_logs.h"
#include "tests/unit/unit.h"

static json_t *load(char *s)
{
    json_error_t e;
    json_t *j = s ? json_loads(s, 0, &e) : NULL;
    free(s);
    return j;
}

static const char *str_at(json_t *root, const char *path)
{
    /* "a.b.0.c": object keys and array indexes */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(tok, NULL, 10));
        else
            cur = json_object_get(cur, tok);
    }
    return json_string_value(cur);
}

static json_t *at(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(tok, NULL, 10));
        else
            cur = json_object_get(cur, tok);
    }
    return cur;
}

TEST(register_container_definition)
{
    const char *cmd[] = { "--interval", "1" };
    batch_kv env[] = { { "A", "1" } };
    batch_kv tags[] = { { "orchestrate:fingerprint", "abc" } };
    batch_job_definition d = {
        .name = "orch-c5-large",
        .container = { .image = "localhost/img:1", .vcpus = 2, .memory_mib = 3500, .gpus = 1,
                       .command = cmd, .n_command = 2, .env = env, .n_env = 1,
                       .job_role_arn = "arn:aws:iam::1:role/j" },
        .timeout_seconds = 600, .retry_attempts = 2, .tags = tags, .n_tags = 1,
    };
    json_t *j = load(batch_build_register_job_definition(&d));
    CHECK(j != NULL);
    CHECK_STR(str_at(j, "type"), "container");
    CHECK_STR(str_at(j, "jobDefinitionName"), "orch-c5-large");
    CHECK_STR(str_at(j, "containerProperties.image"), "localhost/img:1");
    CHECK_STR(str_at(j, "containerProperties.resourceRequirements.0.type"), "VCPU");
    CHECK_STR(str_at(j, "containerProperties.resourceRequirements.0.value"), "2");
    CHECK_STR(str_at(j, "containerProperties.resourceRequirements.1.value"), "3500");
    CHECK_STR(str_at(j, "containerProperties.resourceRequirements.2.type"), "GPU");
    CHECK_STR(str_at(j, "containerProperties.command.1"), "1");
    CHECK_STR(str_at(j, "containerProperties.environment.0.name"), "A");
    CHECK_STR(str_at(j, "containerProperties.jobRoleArn"), "arn:aws:iam::1:role/j");
    CHECK(at(j, "containerProperties.instanceType") == NULL);
    CHECK_INT(json_integer_value(at(j, "timeout.attemptDurationSeconds")), 600);
    CHECK_INT(json_integer_value(at(j, "retryStrategy.attempts")), 2);
    CHECK_STR(str_at(j, "tags.orchestrate:fingerprint"), "abc");
    CHECK(at(j, "nodeProperties") == NULL);
    json_decref(j);
}

TEST(register_multinode_definition)
{
    batch_kv params[] = { { "c000", "x" } };
    batch_job_definition d = {
        .name = "m", .multinode = 1, .num_nodes = 2,
        .container = { .image = "img", .vcpus = 0.5, .memory_mib = 0,
                       .instance_type = "c5.large" },
        .parameters = params, .n_parameters = 1,
    };
    json_t *j = load(batch_build_register_job_definition(&d));
    CHECK_STR(str_at(j, "type"), "multinode");
    CHECK_INT(json_integer_value(at(j, "nodeProperties.numNodes")), 2);
    CHECK_INT(json_integer_value(at(j, "nodeProperties.mainNode")), 0);
    CHECK_STR(str_at(j, "nodeProperties.nodeRangeProperties.0.targetNodes"), "0:");
    CHECK_STR(str_at(j, "nodeProperties.nodeRangeProperties.0.container.instanceType"),
              "c5.large");
    CHECK_STR(str_at(j, "nodeProperties.nodeRangeProperties.0.container.resourceRequirements.0.value"),
              "0.5");
    /* no memory given: Batch's smallest sensible default rather than 0 */
    CHECK_STR(str_at(j, "nodeProperties.nodeRangeProperties.0.container.resourceRequirements.1.value"),
              "512");
    CHECK_STR(str_at(j, "parameters.c000"), "x");
    CHECK(at(j, "containerProperties") == NULL);
    CHECK(at(j, "timeout") == NULL);
    json_decref(j);
}

TEST(submit_array_job)
{
    const char *cmd[] = { "--cmd", "prog", "a b" };
    batch_kv env[] = { { "MONITOR_RESULT_URL", "s3://b/p/" }, { "ORCH_EXPERIMENT", "e" } };
    batch_submit s = {
        .job_name = "e_j1_n3", .job_queue = "q", .job_definition = "d:3", .array_size = 3,
        .command = cmd, .n_command = 3, .env = env, .n_env = 2, .timeout_seconds = 120,
    };
    json_t *j = load(batch_build_submit_job(&s));
    CHECK_STR(str_at(j, "jobName"), "e_j1_n3");
    CHECK_STR(str_at(j, "jobQueue"), "q");
    CHECK_STR(str_at(j, "jobDefinition"), "d:3");
    CHECK_INT(json_integer_value(at(j, "arrayProperties.size")), 3);
    CHECK_STR(str_at(j, "containerOverrides.command.2"), "a b");
    CHECK_STR(str_at(j, "containerOverrides.environment.1.value"), "e");
    CHECK_INT(json_integer_value(at(j, "timeout.attemptDurationSeconds")), 120);
    CHECK(at(j, "nodeOverrides") == NULL);
    json_decref(j);

    s.array_size = 1;   /* Batch rejects arrays of one: a plain job */
    j = load(batch_build_submit_job(&s));
    CHECK(at(j, "arrayProperties") == NULL);
    json_decref(j);
}

TEST(submit_multinode_job)
{
    batch_kv env[] = { { "K", "V" } };
    batch_kv params[] = { { "c000", "--cmd" } };
    batch_submit s = { .job_name = "n", .job_queue = "q", .job_definition = "d",
                       .env = env, .n_env = 1, .parameters = params, .n_parameters = 1,
                       .multinode = 1, .num_nodes = 2 };
    json_t *j = load(batch_build_submit_job(&s));
    CHECK(at(j, "containerOverrides") == NULL);
    CHECK_STR(str_at(j, "nodeOverrides.nodePropertyOverrides.0.targetNodes"), "0:");
    CHECK_STR(str_at(j, "nodeOverrides.nodePropertyOverrides.0.containerOverrides.environment.0.value"),
              "V");
    CHECK(at(j, "nodeOverrides.nodePropertyOverrides.0.containerOverrides.command") == NULL);
    CHECK_INT(json_integer_value(at(j, "nodeOverrides.numNodes")), 2);
    CHECK_STR(str_at(j, "parameters.c000"), "--cmd");
    json_decref(j);
}

TEST(describe_request_and_response)
{
    const char *ids[] = { "a", "b:1" };
    json_t *j = load(batch_build_describe_jobs(ids, 2));
    CHECK_STR(str_at(j, "jobs.1"), "b:1");
    json_decref(j);

    const char *body =
        "{\"jobs\":[{\"jobId\":\"p:0\",\"jobName\":\"x\",\"status\":\"FAILED\","
        "\"createdAt\":1795408220777,\"startedAt\":1795408220792,\"stoppedAt\":1795408221520,"
        "\"statusReason\":\"Essential container in task exited\","
        "\"container\":{\"exitCode\":3,\"logStreamName\":\"jd/default/abc\"},"
        "\"arrayProperties\":{\"index\":0},\"attempts\":[{},{}]},"
        "{\"jobId\":\"p\",\"status\":\"PENDING\",\"arrayProperties\":{\"size\":2,"
        "\"statusSummary\":{\"RUNNING\":1,\"SUCCEEDED\":1,\"BOGUS\":5}},\"attempts\":[]},"
        "{\"jobId\":\"m\",\"status\":\"RUNNING\",\"container\":{},"
        "\"attempts\":[{\"container\":{\"exitCode\":137,\"logStreamName\":\"ls\","
        "\"reason\":\"OutOfMemoryError\"}}]}]}";
    batch_job_info *v = NULL;
    size_t n = 0;
    CHECK_INT(batch_parse_describe_jobs(body, &v, &n), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(v[0].job_id, "p:0");
        CHECK_INT(v[0].status, BATCH_FAILED);
        CHECK_INT(v[0].exit_code, 3);
        CHECK_STR(v[0].log_stream_name, "jd/default/abc");
        CHECK_STR(v[0].status_reason, "Essential container in task exited");
        CHECK_NEAR(v[0].created_at, 1795408220.777, 1e-3);
        CHECK_NEAR(v[0].stopped_at - v[0].started_at, 0.728, 1e-3);
        CHECK_INT(v[0].array_index, 0);
        CHECK_INT(v[0].array_size, 0);
        CHECK_INT(v[0].n_attempts, 2);
        CHECK_INT(v[1].status, BATCH_PENDING);
        CHECK_INT(v[1].array_size, 2);
        CHECK_INT(v[1].array_index, -1);
        CHECK_INT(v[1].has_summary, 1);
        CHECK_INT(v[1].summary[BATCH_RUNNING], 1);
        CHECK_INT(v[1].summary[BATCH_SUCCEEDED], 1);
        CHECK_INT(v[1].summary[BATCH_FAILED], 0);
        CHECK_INT(v[0].has_summary, 0);
        CHECK_INT(v[1].exit_code, -1);
        CHECK(v[1].log_stream_name == NULL);
        CHECK_INT(v[2].exit_code, 137);
        CHECK_STR(v[2].log_stream_name, "ls");
        CHECK_STR(v[2].status_reason, "OutOfMemoryError");
    }
    /* a second page appends */
    CHECK_INT(batch_parse_describe_jobs("{\"jobs\":[{\"jobId\":\"z\",\"status\":\"RUNNABLE\"}]}",
                                        &v, &n), 0);
    CHECK_INT(n, 4);
    batch_job_info_free(v, n);
}

TEST(describe_rejects_garbage)
{
    batch_job_info *v = NULL;
    size_t n = 0;
    CHECK_INT(batch_parse_describe_jobs("not json", &v, &n), -1);
    CHECK_INT(batch_parse_describe_jobs("[]", &v, &n), -1);
    CHECK_INT(batch_parse_describe_jobs("{\"jobs\":{}}", &v, &n), -1);
    CHECK_INT(batch_parse_describe_jobs("{\"jobs\":[{\"status\":\"RUNNING\"}]}", &v, &n), -1);
    CHECK_INT(batch_parse_describe_jobs("{\"jobs\":[7]}", &v, &n), -1);
    CHECK_INT(n, 0);
    CHECK_INT(batch_parse_describe_jobs(NULL, &v, &n), -1);
    batch_job_info_free(v, n);
}

TEST(statuses)
{
    CHECK_INT(batch_status_parse("SUCCEEDED"), BATCH_SUCCEEDED);
    CHECK_INT(batch_status_parse("RUNNABLE"), BATCH_RUNNABLE);
    CHECK_INT(batch_status_parse("bogus"), BATCH_STATUS_UNKNOWN);
    CHECK_INT(batch_status_parse(NULL), BATCH_STATUS_UNKNOWN);
    CHECK_STR(batch_status_name(BATCH_STARTING), "STARTING");
}

TEST(list_jobs)
{
    batch_list_query q = { .job_queue = "q", .name_filter = "exp_j*" };
    json_t *j = load(batch_build_list_jobs(&q, "tok"));
    CHECK_STR(str_at(j, "jobQueue"), "q");
    CHECK_STR(str_at(j, "filters.0.name"), "JOB_NAME");
    CHECK_STR(str_at(j, "filters.0.values.0"), "exp_j*");
    CHECK_STR(str_at(j, "nextToken"), "tok");
    CHECK(at(j, "jobStatus") == NULL);
    json_decref(j);

    batch_list_query q2 = { .array_job_id = "p", .status = "RUNNING" };
    j = load(batch_build_list_jobs(&q2, NULL));
    CHECK_STR(str_at(j, "arrayJobId"), "p");
    CHECK_STR(str_at(j, "jobStatus"), "RUNNING");
    CHECK(at(j, "nextToken") == NULL);
    json_decref(j);

    batch_job_summary *v = NULL;
    size_t n = 0;
    char *next = NULL;
    CHECK_INT(batch_parse_list_jobs("{\"jobSummaryList\":[{\"jobId\":\"1\",\"jobName\":\"a\","
                                    "\"status\":\"SUCCEEDED\",\"createdAt\":2000}],"
                                    "\"nextToken\":\"n2\"}", &v, &n, &next), 0);
    CHECK_INT(n, 1);
    CHECK_STR(next, "n2");
    free(next);
    CHECK_INT(batch_parse_list_jobs("{\"jobSummaryList\":[]}", &v, &n, &next), 0);
    CHECK(next == NULL);
    if (n == 1) {
        CHECK_STR(v[0].job_name, "a");
        CHECK_INT(v[0].status, BATCH_SUCCEEDED);
        CHECK_NEAR(v[0].created_at, 2.0, 1e-9);
    }
    batch_job_summary_free(v, n);
}

TEST(compute_environment_and_queue)
{
    const char *types[] = { "c5.large" };
    const char *subnets[] = { "subnet-1", "subnet-2" };
    const char *sgs[] = { "sg-1" };
    batch_compute_env ce = { .name = "orch-c5-large", .instance_types = types,
                             .n_instance_types = 1, .max_vcpus = 64, .subnets = subnets,
                             .n_subnets = 2, .security_groups = sgs, .n_security_groups = 1,
                             .instance_role = "ecsInstanceRole" };
    json_t *j = load(batch_build_create_compute_environment(&ce));
    CHECK_STR(str_at(j, "computeEnvironmentName"), "orch-c5-large");
    CHECK_STR(str_at(j, "type"), "MANAGED");
    CHECK_STR(str_at(j, "computeResources.type"), "EC2");
    CHECK_STR(str_at(j, "computeResources.instanceTypes.0"), "c5.large");
    CHECK_STR(str_at(j, "computeResources.subnets.1"), "subnet-2");
    CHECK_STR(str_at(j, "computeResources.securityGroupIds.0"), "sg-1");
    CHECK_INT(json_integer_value(at(j, "computeResources.maxvCpus")), 64);
    CHECK_INT(json_integer_value(at(j, "computeResources.minvCpus")), 0);
    CHECK(at(j, "serviceRole") == NULL);
    json_decref(j);
    ce.spot = 1;
    ce.service_role = "arn:role";
    j = load(batch_build_create_compute_environment(&ce));
    CHECK_STR(str_at(j, "computeResources.type"), "SPOT");
    CHECK_STR(str_at(j, "serviceRole"), "arn:role");
    json_decref(j);

    const char *ces[] = { "a", "b" };
    j = load(batch_build_create_job_queue("q", 5, ces, 2));
    CHECK_STR(str_at(j, "jobQueueName"), "q");
    CHECK_INT(json_integer_value(at(j, "priority")), 5);
    CHECK_INT(json_integer_value(at(j, "computeEnvironmentOrder.1.order")), 2);
    CHECK_STR(str_at(j, "computeEnvironmentOrder.1.computeEnvironment"), "b");
    json_decref(j);
}

TEST(resources)
{
    batch_resource *v = NULL;
    size_t n = 0;
    char *next = NULL;
    CHECK_INT(batch_parse_resources("{\"jobQueues\":[{\"jobQueueName\":\"q\",\"jobQueueArn\":"
                                    "\"arn:q\",\"state\":\"ENABLED\",\"status\":\"VALID\"}]}",
                                    "jobQueues", &v, &n, &next), 0);
    CHECK_INT(batch_parse_resources("{\"computeEnvironments\":[{\"computeEnvironmentName\":"
                                    "\"c\",\"state\":\"DISABLED\",\"status\":\"UPDATING\","
                                    "\"statusReason\":\"r\"}],\"nextToken\":\"t\"}",
                                    "computeEnvironments", &v, &n, &next), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(v[0].name, "q");
        CHECK_STR(v[0].arn, "arn:q");
        CHECK_STR(v[1].state, "DISABLED");
        CHECK_STR(v[1].status_reason, "r");
        CHECK(v[1].arn == NULL);
    }
    CHECK_STR(next, "t");
    free(next);
    CHECK_INT(batch_parse_resources("{\"jobQueues\":[{}]}", "jobQueues", &v, &n, &next), -1);
    batch_resource_free(v, n);
}

TEST(find_job_definition_by_tag)
{
    const char *page1 =
        "{\"jobDefinitions\":["
        "{\"jobDefinitionArn\":\"arn:jd/x:1\",\"revision\":1,\"status\":\"ACTIVE\","
        "\"tags\":{\"fp\":\"aaa\"}},"
        "{\"jobDefinitionArn\":\"arn:jd/x:3\",\"revision\":3,\"status\":\"ACTIVE\","
        "\"tags\":{\"fp\":\"aaa\"}},"
        "{\"jobDefinitionArn\":\"arn:jd/x:4\",\"revision\":4,\"status\":\"ACTIVE\","
        "\"tags\":{\"fp\":\"bbb\"}},"
        "{\"jobDefinitionArn\":\"arn:jd/x:5\",\"revision\":5,\"status\":\"INACTIVE\","
        "\"tags\":{\"fp\":\"aaa\"}}],\"nextToken\":\"more\"}";
    char *arn = NULL, *next = NULL;
    CHECK_INT(batch_parse_find_job_definition(page1, "fp", "aaa", &arn, &next), 0);
    CHECK_STR(arn, "arn:jd/x:3");
    CHECK_STR(next, "more");
    free(next);
    /* a later page with a lower revision keeps the higher one */
    CHECK_INT(batch_parse_find_job_definition(
                  "{\"jobDefinitions\":[{\"jobDefinitionArn\":\"arn:jd/x:2\",\"revision\":2,"
                  "\"status\":\"ACTIVE\",\"tags\":{\"fp\":\"aaa\"}}]}",
                  "fp", "aaa", &arn, &next), 0);
    CHECK_STR(arn, "arn:jd/x:3");
    CHECK(next == NULL);
    free(arn);
    arn = NULL;
    CHECK_INT(batch_parse_find_job_definition(page1, "fp", "zzz", &arn, &next), 0);
    CHECK(arn == NULL);
    free(next);
}

TEST(submit_and_register_responses)
{
    char *s = NULL;
    CHECK_INT(batch_parse_submit_job("{\"jobArn\":\"a\",\"jobName\":\"n\",\"jobId\":\"id-1\"}",
                                     &s), 0);
    CHECK_STR(s, "id-1");
    free(s);
    CHECK_INT(batch_parse_submit_job("{\"jobName\":\"n\"}", &s), -1);
    CHECK_INT(batch_parse_register_job_definition(
                  "{\"jobDefinitionArn\":\"arn:aws:batch:r:1:job-definition/d:2\"}", &s), 0);
    CHECK_STR(s, "arn:aws:batch:r:1:job-definition/d:2");
    free(s);
}

TEST(sanitize)
{
    char out[16];
    batch_sanitize_name("c5.large/x y", 64, out, sizeof out);
    CHECK_STR(out, "c5-large-x-y");
    batch_sanitize_name("abcdefghijklmnopqrstuvwxyz", 64, out, sizeof out);
    CHECK_STR(out, "abcdefghijklmno");
    batch_sanitize_name("abcdef", 3, out, sizeof out);
    CHECK_STR(out, "abc");
}

TEST(log_events)
{
    strbuf sb = STRBUF_INIT;
    size_t n = 0;
    CHECK_INT(cwl_parse_log_events(
                  "{\"events\":[{\"timestamp\":1795408221000.0,\"message\":\"out line\\n\","
                  "\"ingestionTime\":1},{\"timestamp\":1795408221500,\"message\":\"err\"},"
                  "{\"message\":7}],\"nextForwardToken\":\"f/1\"}", &sb, &n), 0);
    CHECK_INT(n, 2);
    CHECK_STR(sb_str(&sb), "2026-11-23T04:30:21.000Z out line\n"
                           "2026-11-23T04:30:21.500Z err\n");
    CHECK_INT(cwl_parse_log_events("{\"nope\":1}", &sb, &n), -1);
    sb_reset(&sb);
    CHECK_INT(cwl_parse_log_events("{\"events\":[{\"timestamp\":1e300,\"message\":\"far\"},"
                                   "{\"timestamp\":-5,\"message\":\"before\"}]}", &sb, &n), 0);
    CHECK_STR(sb_str(&sb), "- far\n- before\n");
    sb_free(&sb);
    json_t *j = load(cwl_build_get_log_events("/aws/batch/job", "s/default/1", 0, NULL));
    CHECK_STR(str_at(j, "logGroupName"), "/aws/batch/job");
    CHECK_STR(str_at(j, "logStreamName"), "s/default/1");
    CHECK(json_is_false(at(j, "startFromHead")));
    CHECK_INT(json_integer_value(at(j, "limit")), 10000);
    json_decref(j);
}

int main(void)
{
    RUN(register_container_definition);
    RUN(register_multinode_definition);
    RUN(submit_array_job);
    RUN(submit_multinode_job);
    RUN(describe_request_and_response);
    RUN(describe_rejects_garbage);
    RUN(statuses);
    RUN(list_jobs);
    RUN(compute_environment_and_queue);
    RUN(resources);
    RUN(find_job_definition_by_tag);
    RUN(submit_and_register_responses);
    RUN(sanitize);
    RUN(log_events);
    return unit_done();
}

/* summary.json's text: every field, in jansson's JSON_INDENT(2) layout (jansson reads it
 * and writes it back byte for byte), strings escaped, invalid UTF-8 replaced, non-finite
 * numbers as null. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "common/strbuf.h"
#include "monitor/json_out.h"
#include "monitor/summary.h"
#include "tests/unit/unit.h"

static char *cmd_plain[] = { "./run.sh", "4", NULL };
static char *cmd_odd[] = { "sh", "-c", "echo \"hi\"\\\t\x01/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                           "bad\xff\xc3(\xed\xa0\x80x", "", NULL };

static run_summary base(custom_metric *cm, instance_facts *inst)
{
    memset(cm, 0, sizeof *cm);
    memset(inst, 0, sizeof *inst);
    snprintf(inst->cpu_model, sizeof inst->cpu_model, "Intel(R) Xeon(R) Platinum 8488C");
    snprintf(inst->architecture, sizeof inst->architecture, "x86_64");
    snprintf(inst->type, sizeof inst->type, "m7i.large");
    snprintf(inst->type_source, sizeof inst->type_source, "dmi");
    inst->vcpus = 2;
    inst->memory_bytes = 8ULL << 30;
    return (run_summary){
        .command = cmd_plain, .command_argc = 2, .status = "succeeded", .exit_code = 0,
        .signal = -1, .start_time = 1795418000.123, .end_time = 1795418012.5,
        .wall_seconds = 12.377, .cpu_user_seconds = 1.5, .cpu_system_seconds = 0.25,
        .peak_memory_bytes = 209715200, .cgroup_peak_memory_bytes = 314572800,
        .disk_read_bytes = 4096, .disk_write_bytes = 1ULL << 33, .net_rx_bytes = 1,
        .net_tx_bytes = 2, .oom_kills = 0, .samples = 13, .interval_seconds = 1,
        .cgroup_version = 2, .custom = cm, .instance = inst,
    };
}

/* jansson reads TEXT and writes it again with the flags summary.json always had: the
 * same bytes come back. Returns the parsed object (caller decrefs) or NULL. */
static json_t *round_trip(const char *text)
{
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    CHECK(root != NULL);
    if (!root) {
        fprintf(stderr, "  not JSON: %s (line %d)\n%s\n", err.text, err.line, text);
        return NULL;
    }
    char *again = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    CHECK_STR(again, text);
    free(again);
    return root;
}

TEST(every_field_in_jansson_layout)
{
    custom_metric cm;
    instance_facts inst;
    run_summary s = base(&cm, &inst);
    cm.has_value = 1;
    cm.value = -12.5;
    named_metric named[] = { { "throughput", 1e20 }, { "latency_p99", 0.000123 } };
    cm.named = named;
    cm.n_named = 2;
    setenv("ORCH_EXPERIMENT", "solver", 1);
    unsetenv("ORCH_POINT_TAG");
    char *text = summary_to_json(&s);
    CHECK(text != NULL);
    json_t *root = text ? round_trip(text) : NULL;
    if (root) {
        CHECK_STR(json_string_value(json_object_get(root, "status")), "succeeded");
        CHECK_INT(json_integer_value(json_object_get(root, "exit_code")), 0);
        CHECK(json_is_null(json_object_get(root, "signal")));
        CHECK(json_is_null(json_object_get(root, "monitor_signal")));
        CHECK_STR(json_string_value(json_object_get(root, "start_time")), "2026-11-23T07:13:20.123Z");
        CHECK_NEAR(json_real_value(json_object_get(root, "wall_seconds")), 12.377, 1e-12);
        CHECK_NEAR(json_real_value(json_object_get(root, "cpu_seconds")), 1.75, 1e-12);
        CHECK(json_is_real(json_object_get(root, "interval_seconds"))); /* 1.0, not 1 */
        CHECK_INT(json_integer_value(json_object_get(root, "disk_write_bytes")), 1LL << 33);
        CHECK_INT(json_integer_value(json_object_get(root, "cgroup_version")), 2);
        CHECK_NEAR(json_real_value(json_object_get(root, "custom_metric")), -12.5, 0);
        CHECK(json_is_null(json_object_get(root, "custom_metric_reason")));
        json_t *named_o = json_object_get(root, "custom_metrics");
        CHECK_NEAR(json_real_value(json_object_get(named_o, "throughput")), 1e20, 1e8);
        CHECK_NEAR(json_real_value(json_object_get(named_o, "latency_p99")), 0.000123, 1e-15);
        json_t *i = json_object_get(root, "instance");
        CHECK_STR(json_string_value(json_object_get(i, "type")), "m7i.large");
        CHECK_INT(json_integer_value(json_object_get(i, "memory_bytes")), 8LL << 30);
        json_t *job = json_object_get(root, "job");
        CHECK_STR(json_string_value(json_object_get(job, "experiment")), "solver");
        CHECK(json_is_null(json_object_get(job, "point_tag")));
        CHECK_INT(json_object_size(root), 28);
        CHECK_INT(json_array_size(json_object_get(root, "command")), 2);
        json_decref(root);
    }
    CHECK(text && strstr(text, "\"throughput\": 1e20,") != NULL); /* jansson's exponent */
    free(text);
    unsetenv("ORCH_EXPERIMENT");
}

TEST(strings_escaped_and_nulls)
{
    custom_metric cm;
    instance_facts inst;
    run_summary s = base(&cm, &inst);
    s.command = cmd_odd;
    s.command_argc = 5;
    s.status = "not_started";
    s.exit_code = 127;
    s.start_error = "x: No such file or directory";
    s.monitor_signal = 15;
    s.cgroup_peak_memory_bytes = NAN;
    s.oom_kills = NAN;
    s.cgroup_version = 0;
    s.wall_seconds = NAN;
    inst.type[0] = '\0';
    inst.vcpus = 0;
    snprintf(cm.reason, sizeof cm.reason, "benchmark_custom.txt: \"empty\"");
    char *text = summary_to_json(&s);
    json_t *root = text ? round_trip(text) : NULL;
    if (root) {
        json_t *cmd = json_object_get(root, "command");
        CHECK_INT(json_array_size(cmd), 5);
        CHECK_STR(json_string_value(json_array_get(cmd, 2)),
                  "echo \"hi\"\\\t\x01/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        /* a stray byte, a cut sequence and a surrogate: U+FFFD each, the rest kept */
        CHECK_STR(json_string_value(json_array_get(cmd, 3)),
                  "bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
        CHECK_STR(json_string_value(json_array_get(cmd, 4)), "");
        CHECK_INT(json_integer_value(json_object_get(root, "monitor_signal")), 15);
        CHECK(json_is_null(json_object_get(root, "cgroup_peak_memory_bytes")));
        CHECK(json_is_null(json_object_get(root, "oom_kills")));
        CHECK(json_is_null(json_object_get(root, "cgroup_version")));
        CHECK(json_is_null(json_object_get(root, "wall_seconds")));
        CHECK(json_is_null(json_object_get(root, "custom_metric")));
        CHECK_STR(json_string_value(json_object_get(root, "custom_metric_reason")),
                  "benchmark_custom.txt: \"empty\"");
        CHECK_INT(json_object_size(json_object_get(root, "custom_metrics")), 0);
        json_t *i = json_object_get(root, "instance");
        CHECK(json_is_null(json_object_get(i, "type")) && json_is_null(json_object_get(i, "vcpus")));
        json_decref(root);
    }
    CHECK(text && strstr(text, "\\u0001") != NULL);      /* jansson's escape, upper case */
    CHECK(text && strstr(text, "\"custom_metrics\": {},") != NULL);
    free(text);
}

TEST(writer_layout_and_misuse)
{
    strbuf sb = STRBUF_INIT;
    json_out j;
    json_out_init(&j, &sb);
    json_out_open(&j, NULL, '[');
    json_out_open(&j, NULL, '[');
    json_out_close(&j);
    json_out_open(&j, NULL, '{');
    json_out_int(&j, "a", -3);
    json_out_real(&j, "b", 2.5e-7);
    json_out_close(&j);
    json_out_close(&j);
    CHECK_INT(json_out_status(&j), 0);
    CHECK_STR(sb_str(&sb), "[\n  [],\n  {\n    \"a\": -3,\n    \"b\": 2.5e-7\n  }\n]");
    json_out_close(&j); /* one close too many */
    CHECK_INT(json_out_status(&j), -1);
    sb_free(&sb);
}

int main(void)
{
    RUN(every_field_in_jansson_layout);
    RUN(strings_escaped_and_nulls);
    RUN(writer_layout_and_misuse);
    return unit_done();
}

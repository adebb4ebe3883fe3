#include "orchestrator/report_html.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#define LOG_TAIL_LINES 25
#define MAX_FAILURE_LOGS 10

static const char *CSS =
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 'DejaVu Sans',system-ui,-apple-system,'Segoe UI',sans-serif;"
    "color:#1d2329;background:#f4f6f8;margin:0}"
    "main{max-width:1360px;margin:0 auto;padding:24px 28px 60px}"
    "header{background:#16324f;color:#fff;padding:22px 28px}"
    "header .in{max-width:1360px;margin:0 auto}"
    "header h1{margin:0 0 4px;font-size:24px;font-weight:600}"
    "header p{margin:0;color:#c9d6e3}"
    "nav{margin:14px 0 0}nav a{color:#9cc3ea;margin-right:16px;text-decoration:none}"
    "h2{font-size:19px;margin:34px 0 10px;padding-bottom:6px;border-bottom:2px solid #d5dde5}"
    "h3{font-size:16px;margin:0 0 8px}"
    ".cards{display:flex;gap:14px;flex-wrap:wrap;margin-top:18px}"
    ".card{flex:1 1 220px;background:#fff;border-radius:8px;padding:14px 16px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12);border-top:4px solid #2e7d32}"
    ".card .k{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#5b6770}"
    ".card .v{font-size:20px;font-weight:600;margin:4px 0 2px}"
    ".card .d{color:#5b6770;font-size:13px}"
    ".card.warn{border-top-color:#c62828}"
    "figure{background:#fff;margin:0 0 22px;padding:16px;border-radius:8px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "figure img{max-width:100%;height:auto;display:block;margin:0 auto}"
    "figcaption{color:#3c4850;margin-top:8px}"
    "table{border-collapse:collapse;width:100%;background:#fff;font-size:12.5px}"
    "th,td{padding:5px 8px;border-bottom:1px solid #e3e8ec;text-align:left;"
    "white-space:nowrap}"
    "th{background:#eef2f5;font-weight:600;position:sticky;top:0}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.win td{background:#e8f5e9}tr.fail td{background:#fdecea}"
    ".scroll{overflow:auto;max-height:520px;border:1px solid #e3e8ec;border-radius:6px}"
    "details{margin-top:10px}summary{cursor:pointer;color:#16324f;font-weight:600}"
    "pre{background:#1e252b;color:#e6edf3;padding:12px;border-radius:6px;overflow:auto;"
    "font:12px/1.4 'DejaVu Sans Mono',monospace;max-height:420px}"
    ".note{background:#fff8e1;border-left:4px solid #f9a825;padding:8px 12px;margin:8px 0}"
    ".problem{background:#fdecea;border-left:4px solid #c62828;padding:8px 12px}"
    ".muted{color:#6b7780}footer{margin-top:40px;color:#6b7780;font-size:12px}";

static void esc(strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sb_puts(sb, "&lt;"); break;
        case '>': sb_puts(sb, "&gt;"); break;
        case '&': sb_puts(sb, "&amp;"); break;
        case '"': sb_puts(sb, "&quot;"); break;
        case '\'': sb_puts(sb, "&#39;"); break;
        default: sb_putc(sb, *s);
        }
    }
}

static void num_cell(strbuf *sb, double v, const char *fmt)
{
    sb_puts(sb, "<td class=\"n\">");
    if (isfinite(v))
        sb_printf(sb, fmt, v);
    sb_puts(sb, "</td>");
}

static void text_cell(strbuf *sb, const char *s)
{
    sb_puts(sb, "<td>");
    esc(sb, s);
    sb_puts(sb, "</td>");
}

const char *report_describe_price_source(const char *source, char *buf, size_t n)
{
    char kind[64] = "", region[64] = "", date[64] = "";
    if (!source || !*source)
        snprintf(buf, n, "no price");
    else if (strcmp(source, "config") == 0)
        snprintf(buf, n, "the config's own price (pricing.prices or a local profile)");
    else if (sscanf(source, "%63[^:]:%63[^:]:%63s", kind, region, date) == 3 &&
             strcmp(kind, "aws-price-list") == 0)
        snprintf(buf, n, "AWS Price List API, On-demand Linux, %s, fetched %s", region, date);
    else if (strcmp(kind, "aws-spot") == 0)
        snprintf(buf, n, "EC2 spot price history (mean over zones), %s, fetched %s", region,
                 date);
    else
        snprintf(buf, n, "%s", source);
    return buf;
}

/* ---- sections ---- */

static void card(strbuf *sb, const char *key, const char *value, const char *detail,
                 int warn)
{
    sb_printf(sb, "<div class=\"card%s\"><div class=\"k\">", warn ? " warn" : "");
    esc(sb, key);
    sb_puts(sb, "</div><div class=\"v\">");
    esc(sb, value);
    sb_puts(sb, "</div><div class=\"d\">");
    esc(sb, detail);
    sb_puts(sb, "</div></div>");
}

static void answer(strbuf *sb, const report_model *m)
{
    char lab[300], d[300];
    sb_puts(sb, "<div class=\"cards\" id=\"answer\">");
    if (m->best_fastest >= 0) {
        const report_group *g = &m->groups[m->best_fastest];
        snprintf(d, sizeof d, "%.4g s mean runtime (± %.2g sd, %zu runs)", g->runtime_mean,
                 g->runtime_std, g->n_ok);
        card(sb, "Fastest", report_group_label(m, g, lab, sizeof lab), d, 0);
    }
    if (m->best_cheapest >= 0) {
        const report_group *g = &m->groups[m->best_cheapest];
        snprintf(d, sizeof d, "$%.4g per run at $%.4g/h; $%.4g per 1,000 runs", g->cost_mean,
                 g->price, g->cost_mean * 1000);
        card(sb, "Cheapest", report_group_label(m, g, lab, sizeof lab), d, 0);
    } else {
        card(sb, "Cheapest", "no prices", "no run has a price: see Prices below", 1);
    }
    if (m->has_metric && m->best_metric >= 0) {
        const report_group *g = &m->groups[m->best_metric];
        snprintf(d, sizeof d, "custom metric %.6g (lower is better)", g->metric_mean);
        card(sb, "Best custom metric", report_group_label(m, g, lab, sizeof lab), d, 0);
    }
    size_t failed = 0;
    for (size_t i = 0; i < m->n_runs; i++)
        failed += !m->runs[i].ok;
    snprintf(d, sizeof d, "%zu of %zu runs did not succeed", failed, m->n_runs);
    card(sb, "Runs", failed ? "some failed" : "all succeeded", d, failed > 0);
    sb_puts(sb, "</div>");
}

static void ranking(strbuf *sb, const report_model *m)
{
    sb_printf(sb, "<h2 id=\"ranking\">Ranking by %s</h2>", report_objective_name(m->objective));
    sb_puts(sb, "<div class=\"scroll\"><table id=\"ranking-table\"><thead><tr><th>rank</th>"
            "<th>instance type</th><th>point</th><th>runs ok</th><th>failed</th>"
            "<th>runtime mean (s)</th><th>runtime sd (s)</th><th>runtime sem (s)</th>"
            "<th>cost mean (USD)</th><th>cost sem (USD)</th><th>$/hour</th>"
            "<th>price source</th><th>custom metric mean</th><th>queue+boot mean (s)</th>"
            "</tr></thead><tbody>");
    for (size_t k = 0; k < m->n_groups; k++) {
        /* ranked groups first, then the ones without a value */
        size_t i;
        if (k < m->n_ranked) {
            i = m->ranked[k];
        } else {
            size_t skip = k - m->n_ranked, j;
            for (j = 0; j < m->n_groups; j++)
                if (m->groups[j].rank == 0 && skip-- == 0)
                    break;
            if (j == m->n_groups)
                break;
            i = j;
        }
        const report_group *g = &m->groups[i];
        sb_printf(sb, "<tr class=\"%s\" data-type=\"", g->rank == 1 ? "win" : "");
        esc(sb, g->instance_type);
        sb_puts(sb, "\" data-point=\"");
        esc(sb, g->point_tag);
        sb_puts(sb, "\">");
        if (g->rank)
            sb_printf(sb, "<td class=\"n\">%d</td>", g->rank);
        else
            sb_puts(sb, "<td class=\"n\">–</td>");
        text_cell(sb, g->instance_type);
        text_cell(sb, g->point_tag);
        sb_printf(sb, "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>", g->n_ok, g->n_failed);
        num_cell(sb, g->runtime_mean, "%.4g");
        num_cell(sb, g->runtime_std, "%.4g");
        num_cell(sb, g->runtime_sem, "%.4g");
        num_cell(sb, g->cost_mean, "%.4g");
        num_cell(sb, g->cost_sem, "%.4g");
        num_cell(sb, g->price, "%.4g");
        text_cell(sb, g->price_source);
        num_cell(sb, g->metric_mean, "%.6g");
        num_cell(sb, g->queue_mean, "%.3g");
        sb_puts(sb, "</tr>");
    }
    sb_puts(sb, "</tbody></table></div>");
}

static void rtable_html(strbuf *sb, const rtable *t, const char *id)
{
    sb_printf(sb, "<div class=\"scroll\"><table class=\"data\" id=\"table-%s\"><thead><tr>", id);
    for (size_t c = 0; c < t->ncol; c++) {
        sb_puts(sb, "<th>");
        esc(sb, rtable_get(t, 0, c));
        sb_puts(sb, "</th>");
    }
    sb_puts(sb, "</tr></thead><tbody>");
    for (size_t r = 1; r < rtable_rows(t); r++) {
        sb_puts(sb, "<tr>");
        for (size_t c = 0; c < t->ncol; c++)
            text_cell(sb, rtable_get(t, r, c));
        sb_puts(sb, "</tr>");
    }
    sb_puts(sb, "</tbody></table></div>");
}

static int base64(strbuf *sb, const char *data, size_t len)
{
    size_t out = 4 * ((len + 2) / 3);
    if (sb_reserve(sb, out + 1) != 0)
        return -1;
    /* EVP_EncodeBlock takes an int length: encode in slices of a multiple of 3 bytes */
    const size_t slice = 3 * 1024 * 1024;
    for (size_t off = 0; off < len; off += slice) {
        size_t n = len - off < slice ? len - off : slice;
        int w = EVP_EncodeBlock((unsigned char *)sb->buf + sb->len,
                                (const unsigned char *)data + off, (int)n);
        sb->len += (size_t)w;
        sb->buf[sb->len] = '\0';
    }
    return 0;
}

static void figures(strbuf *sb, const report_figures *f)
{
    sb_puts(sb, "<h2 id=\"figures\">Figures</h2>");
    if (f->n == 0)
        sb_puts(sb, "<p class=\"note\">No figures: no run succeeded.</p>");
    for (size_t i = 0; i < f->n; i++) {
        const report_figure *fig = &f->v[i];
        sb_printf(sb, "<figure id=\"fig-%s\"><h3>", fig->name);
        esc(sb, fig->title);
        sb_puts(sb, "</h3>");
        if (fig->svg) {
            sb_puts(sb, "<img class=\"figure\" alt=\"");
            esc(sb, fig->title);
            sb_puts(sb, "\" src=\"data:image/svg+xml;base64,");
            base64(sb, fig->svg, fig->svg_len);
            sb_puts(sb, "\">");
        } else {
            sb_puts(sb, "<p class=\"problem\">Figure not drawn: ");
            esc(sb, fig->problem);
            sb_puts(sb, "</p>");
        }
        sb_puts(sb, "<figcaption>");
        esc(sb, fig->caption);
        if (fig->svg)
            sb_printf(sb, " <span class=\"muted\">Files for slides: figures/%s.png, "
                      "figures/%s.svg.</span>", fig->name, fig->name);
        sb_puts(sb, "</figcaption><details><summary>The numbers behind this figure"
                "</summary>");
        rtable_html(sb, &fig->table, fig->name);
        sb_puts(sb, "</details></figure>");
    }
}

/* The last lines of a log file, or NULL. */
static char *tail_of(const char *dir, const char *name, int lines)
{
    char *path = path_join(dir, name), *text = NULL;
    size_t len = 0;
    if (!path || read_file(path, &text, &len) != 0) {
        free(path);
        return NULL;
    }
    free(path);
    size_t start = len;
    int seen = 0;
    while (start > 0) {
        if (text[start - 1] == '\n' && start != len && ++seen >= lines)
            break;
        start--;
    }
    memmove(text, text + start, len - start + 1);
    return text;
}

static void failures(strbuf *sb, const report_model *m, const char *output_dir)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_runs; i++)
        n += !m->runs[i].ok;
    sb_printf(sb, "<h2 id=\"failures\">Failures (%zu)</h2>", n);
    if (n == 0) {
        sb_puts(sb, "<p>Every run succeeded.</p>");
        return;
    }
    sb_puts(sb, "<div class=\"scroll\"><table id=\"failures-table\"><thead><tr>"
            "<th>instance type</th><th>point</th><th>replicate</th><th>state</th>"
            "<th>exit status</th><th>result dir</th></tr></thead><tbody>");
    for (size_t i = 0; i < m->n_runs; i++) {
        const report_run *r = &m->runs[i];
        if (r->ok)
            continue;
        sb_puts(sb, "<tr class=\"fail\">");
        text_cell(sb, r->instance_type);
        text_cell(sb, r->point_tag);
        sb_printf(sb, "<td class=\"n\">%d</td>", r->replicate);
        text_cell(sb, r->state);
        if (r->has_exit_code)
            sb_printf(sb, "<td class=\"n\">%d%s</td>", r->exit_code,
                      r->exit_code > 128 ? " (signal)" : "");
        else
            sb_puts(sb, "<td class=\"n\">unknown</td>");
        text_cell(sb, r->result_dir);
        sb_puts(sb, "</tr>");
    }
    sb_puts(sb, "</tbody></table></div>");
    /* One log per failed run (stderr first: that is where a workload says why), the first
     * few open; identical tails are shown once. */
    static const char *logs[] = { "stderr.log", "batch.log", "stdout.log" };
    char **shown = calloc(n + 1, sizeof *shown);
    size_t n_shown = 0, detailed = 0;
    for (size_t i = 0; shown && i < m->n_runs && detailed < MAX_FAILURE_LOGS; i++) {
        const report_run *r = &m->runs[i];
        if (r->ok || !r->result_dir[0])
            continue;
        char *dir = path_join(output_dir, r->result_dir), *tail = NULL;
        size_t k;
        for (k = 0; dir && !tail && k < sizeof logs / sizeof logs[0]; k++) {
            tail = tail_of(dir, logs[k], LOG_TAIL_LINES);
            if (tail && !*tail) {
                free(tail);
                tail = NULL;
            }
        }
        free(dir);
        if (!tail)
            continue;
        int seen = 0;
        for (size_t j = 0; j < n_shown && !seen; j++)
            seen = strcmp(shown[j], tail) == 0;
        if (seen) {
            free(tail);
            continue;
        }
        sb_printf(sb, "<details%s><summary>", detailed < 3 ? " open" : "");
        esc(sb, r->result_dir);
        sb_printf(sb, " — %s, last lines</summary><pre>", logs[k - 1]);
        esc(sb, tail);
        sb_puts(sb, "</pre></details>");
        shown[n_shown++] = tail;
        detailed++;
    }
    if (n_shown < n)
        sb_printf(sb, "<p class=\"muted\">Log tails of %zu failed run%s shown; the others "
                  "ended with the same lines or left no log. Every log is under "
                  "runs/TYPE/POINT/REPLICATE/.</p>", n_shown, n_shown == 1 ? "" : "s");
    for (size_t j = 0; j < n_shown; j++)
        free(shown[j]);
    free(shown);
}

static void prices(strbuf *sb, const report_model *m, const char *prices_json,
                   double stale_days)
{
    sb_puts(sb, "<h2 id=\"prices\">Prices</h2><p>Cost of a run = runtime / 3600 × $/hour "
            "× nodes. Queue and boot time (Batch's startedAt − createdAt) is shown apart "
            "and not billed into the cost.</p><table id=\"price-sources\"><thead><tr>"
            "<th>price source</th><th>meaning</th><th>runs</th></tr></thead><tbody>");
    char desc[300];
    for (size_t i = 0; i < m->n_runs; i++) {
        const char *src = m->runs[i].price_source;
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(src, m->runs[j].price_source) == 0;
        if (dup)
            continue;
        size_t count = 0;
        for (size_t j = i; j < m->n_runs; j++)
            count += strcmp(src, m->runs[j].price_source) == 0;
        sb_puts(sb, "<tr>");
        text_cell(sb, *src ? src : "(none)");
        text_cell(sb, report_describe_price_source(src, desc, sizeof desc));
        sb_printf(sb, "<td class=\"n\">%zu</td></tr>", count);
    }
    sb_puts(sb, "</tbody></table>");
    /* types without a price: say so, with the price book's reason when it was saved */
    json_error_t jerr;
    json_t *snap = prices_json ? json_loads(prices_json, 0, &jerr) : NULL;
    json_t *table = json_object_get(snap, "prices");
    for (size_t g = 0; g < m->n_groups; g++) {
        const report_group *grp = &m->groups[g];
        int dup = 0;
        for (size_t h = 0; h < g && !dup; h++)
            dup = strcmp(m->groups[h].instance_type, grp->instance_type) == 0;
        if (dup || isfinite(grp->price))
            continue;
        const char *note = json_string_value(
            json_object_get(json_object_get(table, grp->instance_type), "note"));
        sb_puts(sb, "<p class=\"note\">No price for <b>");
        esc(sb, grp->instance_type);
        sb_puts(sb, "</b>: its cost is left empty (never counted as 0). ");
        esc(sb, note ? note : "Run `orchestrate prices --update --region REGION`, or give "
                              "its price under pricing: in the config.");
        sb_puts(sb, "</p>");
    }
    const char *fetched = json_string_value(json_object_get(snap, "fetched_at"));
    double fetched_at;
    if (fetched && parse_rfc3339(fetched, &fetched_at) == 0 &&
        wall_seconds() - fetched_at > stale_days * 86400.0)
        sb_printf(sb, "<p class=\"note\">The price list these costs use was fetched %.0f days "
                  "ago (%.10s): run <code>orchestrate prices --update</code> and "
                  "<code>orchestrate report</code> for current prices.</p>",
                  (wall_seconds() - fetched_at) / 86400.0, fetched);
    if (json_is_object(table)) {
        const char *when = fetched;
        sb_puts(sb, "<details><summary>Price snapshot used (prices.json");
        if (when) {
            sb_puts(sb, ", cache fetched ");
            esc(sb, when);
        }
        sb_puts(sb, ")</summary><table id=\"price-snapshot\"><thead><tr><th>instance type"
                "</th><th>$/hour</th><th>source</th></tr></thead><tbody>");
        const char *type;
        json_t *e;
        json_object_foreach(table, type, e) {
            sb_puts(sb, "<tr>");
            text_cell(sb, type);
            num_cell(sb, json_is_number(json_object_get(e, "usd_per_hour"))
                         ? json_number_value(json_object_get(e, "usd_per_hour")) : NAN, "%.6g");
            text_cell(sb, json_string_value(json_object_get(e, "source")));
            sb_puts(sb, "</tr>");
        }
        sb_puts(sb, "</tbody></table></details>");
    }
    json_decref(snap);
}

static void results_table(strbuf *sb, const report_model *m)
{
    const csv_table *t = &m->results;
    sb_printf(sb, "<h2 id=\"runs\">Every run (results.csv, %zu rows)</h2>"
              "<div class=\"scroll\"><table id=\"results-table\"><thead><tr>", t->n_rows);
    for (size_t c = 0; c < t->header.n; c++) {
        sb_puts(sb, "<th>");
        esc(sb, t->header.field[c]);
        sb_puts(sb, "</th>");
    }
    sb_puts(sb, "</tr></thead><tbody>");
    for (size_t r = 0; r < t->n_rows; r++) {
        sb_printf(sb, "<tr%s>", m->runs[r].ok ? "" : " class=\"fail\"");
        for (size_t c = 0; c < t->header.n; c++)
            text_cell(sb, csv_get(t, r, (int)c));
        sb_puts(sb, "</tr>");
    }
    sb_puts(sb, "</tbody></table></div>");
}

/* summary.csv as orchestrate wrote it (per type and point, with medians, ranks and cost
 * per 1,000 runs), for those who want it beside the ranking. */
static void summary_table(strbuf *sb, const char *output_dir)
{
    char *path = path_join(output_dir, "summary.csv");
    csv_table t;
    char err[256];
    if (!path || !file_exists(path) || csv_read_file(path, &t, err, sizeof err) != 0) {
        free(path);
        return;
    }
    free(path);
    sb_printf(sb, "<details><summary>summary.csv (%zu rows)</summary><div class=\"scroll\">"
              "<table id=\"summary-table\"><thead><tr>", t.n_rows);
    for (size_t c = 0; c < t.header.n; c++) {
        sb_puts(sb, "<th>");
        esc(sb, t.header.field[c]);
        sb_puts(sb, "</th>");
    }
    sb_puts(sb, "</tr></thead><tbody>");
    for (size_t r = 0; r < t.n_rows; r++) {
        sb_puts(sb, "<tr>");
        for (size_t c = 0; c < t.header.n; c++)
            text_cell(sb, csv_get(&t, r, (int)c));
        sb_puts(sb, "</tr>");
    }
    sb_puts(sb, "</tbody></table></div></details>");
    csv_table_free(&t);
}

static void config_section(strbuf *sb, const report_html_inputs *in)
{
    sb_puts(sb, "<h2 id=\"config\">Config</h2>");
    if (!in->config_text) {
        sb_puts(sb, "<p class=\"muted\">No copy of the config was found in the output "
                "directory.</p>");
        return;
    }
    sb_puts(sb, "<p class=\"muted\">");
    esc(sb, in->config_path);
    sb_puts(sb, "</p><pre id=\"config-text\">");
    esc(sb, in->config_text);
    sb_puts(sb, "</pre>");
}

/* Records in the page whether every figure decoded, for people and for tests. */
static const char *SCRIPT =
    "<script>window.addEventListener('load',function(){"
    "var imgs=document.querySelectorAll('img.figure'),ok=0;"
    "for(var i=0;i<imgs.length;i++){var g=imgs[i];"
    "var good=g.complete&&g.naturalWidth>0;g.setAttribute('data-loaded',good?'1':'0');"
    "if(good)ok++;}"
    "var s=document.getElementById('figure-status');"
    "s.setAttribute('data-total',imgs.length);s.setAttribute('data-loaded',ok);"
    "s.textContent=ok+' of '+imgs.length+' figures rendered';});</script>";

static void header(strbuf *sb, const report_model *m, const report_html_inputs *in)
{
    char now[32];
    format_rfc3339_ms(wall_seconds(), now, sizeof now);
    size_t types = 0, points = 0;
    for (size_t g = 0; g < m->n_groups; g++) {
        int dup_type = 0, dup_point = 0;
        for (size_t h = 0; h < g; h++) {
            dup_type |= strcmp(m->groups[h].instance_type, m->groups[g].instance_type) == 0;
            dup_point |= strcmp(m->groups[h].point_tag, m->groups[g].point_tag) == 0;
        }
        types += !dup_type;
        points += !dup_point;
    }
    sb_puts(sb, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    esc(sb, in->title);
    sb_printf(sb, " — benchmark report</title><style>%s</style></head><body><header>"
              "<div class=\"in\"><h1>", CSS);
    esc(sb, in->title);
    sb_printf(sb, "</h1><p>%zu runs of %zu point%s on %zu instance type%s · ranked by %s · "
              "generated %.19sZ</p><nav><a href=\"#ranking\">Ranking</a>"
              "<a href=\"#figures\">Figures</a><a href=\"#failures\">Failures</a>"
              "<a href=\"#prices\">Prices</a><a href=\"#runs\">Every run</a>"
              "<a href=\"#config\">Config</a></nav></div></header><main>",
              m->n_runs, points, points == 1 ? "" : "s", types, types == 1 ? "" : "s",
              report_objective_name(m->objective), now);
}

int report_html_write(const report_model *m, const report_figures *f,
                      const report_html_inputs *in, const char *path, char *err,
                      size_t errlen)
{
    strbuf sb = STRBUF_INIT;
    header(&sb, m, in);
    answer(&sb, m);
    ranking(&sb, m);
    figures(&sb, f);
    failures(&sb, m, in->output_dir);
    prices(&sb, m, in->prices_json, in->stale_price_days);
    results_table(&sb, m);
    summary_table(&sb, in->output_dir);
    config_section(&sb, in);
    sb_puts(&sb, "<footer><span id=\"figure-status\" data-total=\"0\" data-loaded=\"0\">"
            "</span> · made by orchestrate; figures by gnuplot</footer></main>");
    sb_puts(&sb, SCRIPT);
    sb_puts(&sb, "</body></html>\n");
    int rc = 0;
    if (!sb.buf || write_file_atomic(path, sb.buf, sb.len) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno ? errno : ENOMEM));
        rc = -1;
    }
    sb_free(&sb);
    return rc;
}

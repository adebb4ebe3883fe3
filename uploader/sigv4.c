#include "uploader/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/timeutil.h"
#include "uploader/digest.h"

typedef struct kv {
    char *name;
    char *value;
} kv;

typedef struct kv_list {
    kv *items;
    size_t n, cap;
} kv_list;

static int kv_push(kv_list *l, char *name, char *value)
{
    if (!name || !value)
        goto fail;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        kv *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            goto fail;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n].name = name;
    l->items[l->n].value = value;
    l->n++;
    return 0;
fail:
    free(name);
    free(value);
    return -1;
}

static void kv_list_free(kv_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

char *sigv4_uri_encode(const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

char *sigv4_encode_path(const char *raw_path)
{
    strbuf sb = STRBUF_INIT;
    if (raw_path[0] != '/')
        sb_putc(&sb, '/');
    char *enc = sigv4_uri_encode(raw_path, strlen(raw_path), 1);
    if (!enc || sb_puts(&sb, enc) < 0) {
        free(enc);
        sb_free(&sb);
        return NULL;
    }
    free(enc);
    return sb_detach(&sb);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes %XX escapes of s[0..len); malformed escapes are kept literally. */
static char *percent_decode(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Decodes then re-encodes one query component, so that any wire spelling of the same
 * value signs the same way. */
static char *canonical_query_part(const char *s, size_t len)
{
    size_t dlen;
    char *dec = percent_decode(s, len, &dlen);
    if (!dec)
        return NULL;
    char *enc = sigv4_uri_encode(dec, dlen, 0);
    free(dec);
    return enc;
}

static int parse_query(const char *q, kv_list *out)
{
    if (!q)
        return 0;
    while (*q) {
        size_t plen = strcspn(q, "&");
        if (plen > 0) {
            const char *eq = memchr(q, '=', plen);
            size_t klen = eq ? (size_t)(eq - q) : plen;
            const char *v = eq ? eq + 1 : q + plen;
            size_t vlen = eq ? plen - klen - 1 : 0;
            if (kv_push(out, canonical_query_part(q, klen), canonical_query_part(v, vlen)) < 0)
                return -1;
        }
        q += plen;
        if (*q == '&')
            q++;
    }
    return 0;
}

static int add_raw_param(kv_list *l, const char *name, const char *value)
{
    return kv_push(l, sigv4_uri_encode(name, strlen(name), 0),
                   sigv4_uri_encode(value, strlen(value), 0));
}

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *join_query(const kv_list *l)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    for (size_t i = 0; i < l->n; i++)
        sb_printf(&sb, "%s%s=%s", i ? "&" : "", l->items[i].name, l->items[i].value);
    return sb_detach(&sb);
}

/* Trims and folds runs of whitespace (including folded header lines) into one space. */
static char *canonical_header_value(const char *v)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "");
    int pending_space = 0;
    for (const char *p = v; *p; p++) {
        if (isspace((unsigned char)*p)) {
            pending_space = sb.len > 0;
            continue;
        }
        if (pending_space)
            sb_putc(&sb, ' ');
        pending_space = 0;
        sb_putc(&sb, *p);
    }
    return sb_detach(&sb);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return d;
}

/* Insertion sort: stable, so repeated headers keep their order (values are joined in the
 * order they were sent); requests carry a handful of headers. */
static void sort_headers_stable(kv_list *h)
{
    for (size_t i = 1; i < h->n; i++) {
        kv cur = h->items[i];
        size_t j = i;
        while (j > 0 && strcmp(h->items[j - 1].name, cur.name) > 0) {
            h->items[j] = h->items[j - 1];
            j--;
        }
        h->items[j] = cur;
    }
}

/* Sorted, merged canonical headers ("name:v1,v2\n"...) and the signed header list. */
static int canonical_headers(kv_list *h, strbuf *block, strbuf *names)
{
    sort_headers_stable(h);
    for (size_t i = 0; i < h->n; i++) {
        int same = i > 0 && strcmp(h->items[i].name, h->items[i - 1].name) == 0;
        if (same) {
            sb_printf(block, ",%s", h->items[i].value);
            continue;
        }
        if (i > 0)
            sb_putc(block, '\n');
        sb_printf(block, "%s:%s", h->items[i].name, h->items[i].value);
        sb_printf(names, "%s%s", names->len ? ";" : "", h->items[i].name);
    }
    if (h->n)
        sb_putc(block, '\n');
    return block->buf && names->buf ? 0 : -1;
}

/* RFC 3986 dot-segment removal plus collapsing of empty segments; keeps a trailing '/'. */
static char *normalize_path(const char *path)
{
    size_t len = strlen(path);
    char **segs = calloc(len + 1, sizeof *segs);
    size_t *lens = calloc(len + 1, sizeof *lens);
    size_t n = 0;
    if (!segs || !lens) {
        free(segs);
        free(lens);
        return NULL;
    }
    const char *p = path;
    int trailing = len > 0 && path[len - 1] == '/';
    while (*p) {
        size_t sl = strcspn(p, "/");
        if (sl == 2 && p[0] == '.' && p[1] == '.') {
            if (n)
                n--;
            trailing = p[sl] == '\0' ? 1 : trailing;
        } else if (sl == 1 && p[0] == '.') {
            trailing = p[sl] == '\0' ? 1 : trailing;
        } else if (sl > 0) {
            segs[n] = (char *)p;
            lens[n++] = sl;
        }
        p += sl;
        if (*p == '/')
            p++;
    }
    strbuf sb = STRBUF_INIT;
    sb_putc(&sb, '/');
    for (size_t i = 0; i < n; i++) {
        sb_append(&sb, segs[i], lens[i]);
        if (i + 1 < n || trailing)
            sb_putc(&sb, '/');
    }
    free(segs);
    free(lens);
    return sb_detach(&sb);
}

static char *canonical_uri(const sigv4_config *cfg, const char *wire_path)
{
    const char *path = wire_path && *wire_path ? wire_path : "/";
    char *norm = cfg->normalize_path ? normalize_path(path) : strdup(path);
    if (!norm || !cfg->double_encode)
        return norm;
    char *enc = sigv4_uri_encode(norm, strlen(norm), 1);
    free(norm);
    return enc;
}

static void signing_key(const sigv4_config *cfg, const char *date, unsigned char key[32])
{
    strbuf k = STRBUF_INIT;
    sb_printf(&k, "AWS4%s", cfg->secret_key);
    hmac_sha256(k.buf, k.len, date, strlen(date), key);
    hmac_sha256(key, 32, cfg->region, strlen(cfg->region), key);
    hmac_sha256(key, 32, cfg->service, strlen(cfg->service), key);
    hmac_sha256(key, 32, "aws4_request", 12, key);
    /* The secret passed through this buffer: wipe it before it goes back to malloc. */
    if (k.buf)
        memset(k.buf, 0, k.cap);
    sb_free(&k);
}

static int add_line(sigv4_result *out, const char *name, const char *value)
{
    strbuf sb = STRBUF_INIT;
    if (out->n_add_headers >= SIGV4_MAX_ADD || sb_printf(&sb, "%s: %s", name, value) < 0)
        return -1;
    out->add_headers[out->n_add_headers++] = sb_detach(&sb);
    return 0;
}

static int collect_headers(const sigv4_config *cfg, const sigv4_request *req,
                           const char *amz_date, kv_list *h)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (kv_push(h, lower_dup(req->headers[i].name),
                    canonical_header_value(req->headers[i].value)) < 0)
            return -1;
    if (cfg->presign)
        return 0;
    if (kv_push(h, strdup("x-amz-date"), strdup(amz_date)) < 0)
        return -1;
    if (cfg->session_token && !cfg->omit_session_token &&
        kv_push(h, strdup("x-amz-security-token"), strdup(cfg->session_token)) < 0)
        return -1;
    if (cfg->add_content_sha256 &&
        kv_push(h, strdup("x-amz-content-sha256"), strdup(req->payload_hash)) < 0)
        return -1;
    return 0;
}

static int add_presign_params(const sigv4_config *cfg, const char *amz_date, const char *scope,
                              const char *signed_names, kv_list *q)
{
    char cred[512], expires[32];
    snprintf(cred, sizeof cred, "%s/%s", cfg->access_key, scope);
    snprintf(expires, sizeof expires, "%ld", cfg->expires > 0 ? cfg->expires : 3600);
    if (add_raw_param(q, "X-Amz-Algorithm", "AWS4-HMAC-SHA256") < 0 ||
        add_raw_param(q, "X-Amz-Credential", cred) < 0 ||
        add_raw_param(q, "X-Amz-Date", amz_date) < 0 ||
        add_raw_param(q, "X-Amz-Expires", expires) < 0 ||
        add_raw_param(q, "X-Amz-SignedHeaders", signed_names) < 0)
        return -1;
    if (cfg->session_token && !cfg->omit_session_token &&
        add_raw_param(q, "X-Amz-Security-Token", cfg->session_token) < 0)
        return -1;
    return 0;
}

/* Header form: the lines to add to the request. */
static int finish_header_form(const sigv4_config *cfg, const sigv4_request *req,
                              const char *amz_date, const char *scope, const char *names,
                              sigv4_result *out)
{
    strbuf auth = STRBUF_INIT;
    sb_printf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
              cfg->access_key, scope, names, out->signature);
    int rc = add_line(out, "X-Amz-Date", amz_date);
    if (rc == 0 && cfg->session_token)
        rc = add_line(out, "X-Amz-Security-Token", cfg->session_token);
    if (rc == 0 && cfg->add_content_sha256)
        rc = add_line(out, "X-Amz-Content-Sha256", req->payload_hash);
    if (rc == 0)
        rc = auth.buf ? add_line(out, "Authorization", auth.buf) : -1;
    sb_free(&auth);
    return rc;
}

/* Query form: the canonical query (plus an unsigned token if so configured) and the
 * signature. */
static int finish_query_form(const sigv4_config *cfg, const char *canonical_query,
                             sigv4_result *out)
{
    strbuf q = STRBUF_INIT;
    sb_puts(&q, canonical_query);
    if (cfg->session_token && cfg->omit_session_token) {
        char *tok = sigv4_uri_encode(cfg->session_token, strlen(cfg->session_token), 0);
        if (tok)
            sb_printf(&q, "&X-Amz-Security-Token=%s", tok);
        free(tok);
    }
    sb_printf(&q, "&X-Amz-Signature=%s", out->signature);
    out->signed_query = sb_detach(&q);
    return out->signed_query ? 0 : -1;
}

int sigv4_sign(const sigv4_config *cfg, const sigv4_request *req, sigv4_result *out)
{
    memset(out, 0, sizeof *out);
    if (!req->method)
        return -1;
    char amz_date[20], date[9], scope[256];
    format_iso8601_basic(cfg->when, amz_date, sizeof amz_date);
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, cfg->region, cfg->service);

    kv_list headers = { 0 }, query = { 0 };
    strbuf hblock = STRBUF_INIT, names = STRBUF_INIT, cr = STRBUF_INIT, sts = STRBUF_INIT;
    char *uri = NULL, *cquery = NULL;
    int rc = -1;
    if (collect_headers(cfg, req, amz_date, &headers) < 0 ||
        canonical_headers(&headers, &hblock, &names) < 0 || parse_query(req->query, &query) < 0)
        goto done;
    if (cfg->presign && add_presign_params(cfg, amz_date, scope, names.buf, &query) < 0)
        goto done;
    if (query.n)
        qsort(query.items, query.n, sizeof *query.items, cmp_kv);
    uri = canonical_uri(cfg, req->path);
    cquery = join_query(&query);
    if (!uri || !cquery)
        goto done;
    sb_printf(&cr, "%s\n%s\n%s\n%s\n%s\n%s", req->method, uri, cquery, hblock.buf, names.buf,
              req->payload_hash);
    char cr_hash[65];
    sha256_hex(cr.buf, cr.len, cr_hash);
    sb_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, cr_hash);
    unsigned char key[32], sig[32];
    signing_key(cfg, date, key);
    hmac_sha256(key, sizeof key, sts.buf, sts.len, sig);
    hex_encode(sig, sizeof sig, out->signature);
    out->canonical_request = sb_detach(&cr);
    out->string_to_sign = sb_detach(&sts);
    if (!out->canonical_request || !out->string_to_sign)
        goto done;
    rc = cfg->presign ? finish_query_form(cfg, cquery, out)
                      : finish_header_form(cfg, req, amz_date, scope, names.buf, out);
done:
    kv_list_free(&headers);
    kv_list_free(&query);
    sb_free(&hblock);
    sb_free(&names);
    sb_free(&cr);
    sb_free(&sts);
    free(uri);
    free(cquery);
    if (rc < 0)
        sigv4_result_free(out);
    return rc;
}

void sigv4_result_free(sigv4_result *r)
{
    free(r->canonical_request);
    free(r->string_to_sign);
    free(r->signed_query);
    for (size_t i = 0; i < r->n_add_headers; i++)
        free(r->add_headers[i]);
    memset(r, 0, sizeof *r);
}

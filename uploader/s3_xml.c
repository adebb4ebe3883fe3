#include "uploader/s3_xml.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

/* One generic walk: the handler sees every leaf element as (path, text), the path being
 * the local names from the root joined by '/', namespaces stripped. */
typedef void (*leaf_fn)(const char *path, const char *text, void *ud);

#define MAX_TEXT (1u << 20)   /* no S3 field is anywhere near 1 MiB: cap hostile input */

typedef struct walk {
    strbuf path;
    strbuf text;
    leaf_fn fn;
    void *ud;
    int failed;
    char root[64];
} walk;

static const char *local_name(const char *name)
{
    /* expat with a namespace separator gives "uri|local". */
    const char *bar = strrchr(name, '|');
    return bar ? bar + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    walk *w = ud;
    const char *ln = local_name(name);
    if (w->path.len == 0)
        snprintf(w->root, sizeof w->root, "%s", ln);
    if (w->path.len)
        sb_putc(&w->path, '/');
    sb_puts(&w->path, ln);
    sb_reset(&w->text);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    walk *w = ud;
    w->fn(sb_str(&w->path), sb_str(&w->text), w->ud);
    sb_reset(&w->text);
    char *slash = w->path.buf ? strrchr(w->path.buf, '/') : NULL;
    size_t keep = slash ? (size_t)(slash - w->path.buf) : 0;
    w->path.len = keep;
    if (w->path.buf)
        w->path.buf[keep] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    walk *w = ud;
    if (w->text.len + (size_t)len > MAX_TEXT) {
        w->failed = 1;
        return;
    }
    sb_append(&w->text, s, (size_t)len);
}

/* Parses the document; the root element's name is copied into root (may be NULL). */
static int walk_xml(const char *xml, size_t len, leaf_fn fn, void *ud, char *root, size_t cap)
{
    if (!xml || len == 0 || len > (size_t)0x7fffffff)
        return -1;
    XML_Parser p = XML_ParserCreateNS(NULL, '|');
    if (!p)
        return -1;
    walk w = { STRBUF_INIT, STRBUF_INIT, fn, ud, 0, "" };
    XML_SetUserData(p, &w);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    int ok = XML_Parse(p, xml, (int)len, 1) == XML_STATUS_OK && !w.failed && w.root[0];
    XML_ParserFree(p);
    if (root)
        snprintf(root, cap, "%s", w.root);
    sb_free(&w.path);
    sb_free(&w.text);
    return ok ? 0 : -1;
}

static int path_is(const char *path, const char *want)
{
    return strcmp(path, want) == 0;
}

/* ---- errors ---- */

typedef struct error_fields {
    strbuf code;
    strbuf message;
} error_fields;

static void error_leaf(const char *path, const char *text, void *ud)
{
    error_fields *e = ud;
    if (path_is(path, "Error/Code") || path_is(path, "ErrorResponse/Error/Code") ||
        path_is(path, "Response/Errors/Error/Code")) {
        sb_reset(&e->code);
        sb_puts(&e->code, text);
    } else if (path_is(path, "Error/Message") || path_is(path, "ErrorResponse/Error/Message") ||
               path_is(path, "Response/Errors/Error/Message")) {
        sb_reset(&e->message);
        sb_puts(&e->message, text);
    }
}

int s3_xml_parse_error(const char *xml, size_t len, char *code, size_t code_cap, char *message,
                       size_t message_cap)
{
    error_fields e = { STRBUF_INIT, STRBUF_INIT };
    int rc = walk_xml(xml, len, error_leaf, &e, NULL, 0);
    if (rc == 0 && e.code.len == 0)
        rc = -1;
    if (rc == 0) {
        snprintf(code, code_cap, "%s", sb_str(&e.code));
        snprintf(message, message_cap, "%s", sb_str(&e.message));
    }
    sb_free(&e.code);
    sb_free(&e.message);
    return rc;
}

/* ---- multipart ---- */

static void initiate_leaf(const char *path, const char *text, void *ud)
{
    char **id = ud;
    if (path_is(path, "InitiateMultipartUploadResult/UploadId")) {
        free(*id);
        *id = strdup(text);
    }
}

int s3_xml_parse_initiate(const char *xml, size_t len, char **upload_id)
{
    *upload_id = NULL;
    if (walk_xml(xml, len, initiate_leaf, upload_id, NULL, 0) < 0 || !*upload_id ||
        !**upload_id) {
        free(*upload_id);
        *upload_id = NULL;
        return -1;
    }
    return 0;
}

typedef struct complete_fields {
    char *out;
    size_t cap;
} complete_fields;

static void complete_leaf(const char *path, const char *text, void *ud)
{
    complete_fields *f = ud;
    if (path_is(path, "CompleteMultipartUploadResult/ChecksumCRC32"))
        snprintf(f->out, f->cap, "%s", text);
}

int s3_xml_parse_complete_checksum(const char *xml, size_t len, char *out, size_t cap)
{
    char root[64];
    complete_fields f = { out, cap };
    out[0] = '\0';
    if (walk_xml(xml, len, complete_leaf, &f, root, sizeof root) < 0 ||
        strcmp(root, "CompleteMultipartUploadResult") != 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- ListObjectsV2 ---- */

typedef struct list_state {
    s3_list_page *page;
    size_t cap;
    s3_list_entry cur;
    int failed;
} list_state;

static void list_leaf(const char *path, const char *text, void *ud)
{
    list_state *st = ud;
    s3_list_page *pg = st->page;
    if (path_is(path, "ListBucketResult/Contents/Key")) {
        free(st->cur.key);
        st->cur.key = strdup(text);
    } else if (path_is(path, "ListBucketResult/Contents/Size")) {
        st->cur.size = strtoull(text, NULL, 10);
    } else if (path_is(path, "ListBucketResult/Contents/ETag")) {
        free(st->cur.etag);
        st->cur.etag = strdup(text);
    } else if (path_is(path, "ListBucketResult/Contents/LastModified")) {
        free(st->cur.last_modified);
        st->cur.last_modified = strdup(text);
    } else if (path_is(path, "ListBucketResult/Contents")) {
        if (pg->n == st->cap) {
            size_t cap = st->cap ? st->cap * 2 : 64;
            s3_list_entry *p = realloc(pg->items, cap * sizeof *p);
            if (!p) {
                st->failed = 1;
                return;
            }
            pg->items = p;
            st->cap = cap;
        }
        if (!st->cur.key)
            st->cur.key = strdup("");
        pg->items[pg->n++] = st->cur;
        memset(&st->cur, 0, sizeof st->cur);
    } else if (path_is(path, "ListBucketResult/IsTruncated")) {
        pg->truncated = strcmp(text, "true") == 0;
    } else if (path_is(path, "ListBucketResult/NextContinuationToken")) {
        free(pg->next_token);
        pg->next_token = strdup(text);
    }
}

int s3_xml_parse_list(const char *xml, size_t len, s3_list_page *page)
{
    memset(page, 0, sizeof *page);
    list_state st = { page, 0, { 0 }, 0 };
    char root[64];
    int rc = walk_xml(xml, len, list_leaf, &st, root, sizeof root);
    free(st.cur.key);
    free(st.cur.etag);
    free(st.cur.last_modified);
    if (rc < 0 || st.failed || strcmp(root, "ListBucketResult") != 0 ||
        (page->truncated && (!page->next_token || !*page->next_token))) {
        s3_list_page_free(page);
        return -1;
    }
    return 0;
}

void s3_list_page_free(s3_list_page *page)
{
    for (size_t i = 0; i < page->n; i++) {
        free(page->items[i].key);
        free(page->items[i].etag);
        free(page->items[i].last_modified);
    }
    free(page->items);
    free(page->next_token);
    memset(page, 0, sizeof *page);
}

/* ---- STS ---- */

static void sts_leaf(const char *path, const char *text, void *ud)
{
    sts_credentials *c = ud;
    const char *leaf = strrchr(path, '/');
    if (!leaf || !strstr(path, "Result/Credentials/"))
        return;
    leaf++;
    char **dst = strcmp(leaf, "AccessKeyId") == 0       ? &c->access_key
                 : strcmp(leaf, "SecretAccessKey") == 0 ? &c->secret_key
                 : strcmp(leaf, "SessionToken") == 0    ? &c->session_token
                 : strcmp(leaf, "Expiration") == 0      ? &c->expiration
                                                        : NULL;
    if (dst) {
        free(*dst);
        *dst = strdup(text);
    }
}

int sts_xml_parse_credentials(const char *xml, size_t len, sts_credentials *out)
{
    memset(out, 0, sizeof *out);
    if (walk_xml(xml, len, sts_leaf, out, NULL, 0) < 0 || !out->access_key ||
        !out->secret_key || !*out->access_key || !*out->secret_key) {
        sts_credentials_free(out);
        return -1;
    }
    return 0;
}

void sts_credentials_free(sts_credentials *c)
{
    free(c->access_key);
    if (c->secret_key)
        memset(c->secret_key, 0, strlen(c->secret_key));
    free(c->secret_key);
    free(c->session_token);
    free(c->expiration);
    memset(c, 0, sizeof *c);
}

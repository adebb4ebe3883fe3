#include "uploader/profile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"

static char *trim_dup(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

static int push(profile_file *f, const char *profile, char *key, char *value)
{
    char *p = strdup(profile);
    if (!p || !key || !value)
        goto fail;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        profile_entry *n = realloc(f->items, cap * sizeof *n);
        if (!n)
            goto fail;
        f->items = n;
        f->cap = cap;
    }
    f->items[f->n++] = (profile_entry){ p, key, value };
    return 0;
fail:
    free(p);
    free(key);
    free(value);
    return -1;
}

/* "[default]", "[profile x]" (config) or "[x]" (credentials) into the profile name; NULL
 * for sections that are not profiles (sso-session, services). */
static char *section_name(const char *line, size_t len, int is_config)
{
    const char *close = memchr(line, ']', len);
    if (!close)
        return NULL;
    char *inner = trim_dup(line + 1, (size_t)(close - line - 1));
    if (!inner || !is_config || strcmp(inner, "default") == 0)
        return inner;
    if (strncmp(inner, "profile", 7) == 0 && isspace((unsigned char)inner[7])) {
        char *name = trim_dup(inner + 8, strlen(inner + 8));
        free(inner);
        return name;
    }
    free(inner);
    return NULL;
}

static int parse_line(profile_file *out, int is_config, const char *line, size_t len,
                      char **section, char **parent_key)
{
    int indented = len > 0 && (line[0] == ' ' || line[0] == '\t');
    char *t = trim_dup(line, len);
    if (!t)
        return -1;
    int rc = 0;
    if (!*t || t[0] == '#' || t[0] == ';') {
        /* comment or blank */
    } else if (t[0] == '[') {
        free(*section);
        *section = section_name(t, strlen(t), is_config);
        free(*parent_key);
        *parent_key = NULL;
    } else if (*section && strchr(t, '=')) {
        char *eq = strchr(t, '=');
        char *key = trim_dup(t, (size_t)(eq - t));
        char *value = trim_dup(eq + 1, strlen(eq + 1));
        if (indented && *parent_key && key) {
            strbuf full = STRBUF_INIT;
            sb_printf(&full, "%s.%s", *parent_key, key);
            free(key);
            key = sb_detach(&full);
        } else if (value && !*value) {
            /* "s3 =" opens a nested block. */
            free(*parent_key);
            *parent_key = key ? strdup(key) : NULL;
        } else {
            free(*parent_key);
            *parent_key = NULL;
        }
        rc = push(out, *section, key, value);
    }
    free(t);
    return rc;
}

int profile_parse(const char *text, size_t len, int is_config, profile_file *out)
{
    memset(out, 0, sizeof *out);
    char *section = NULL, *parent = NULL;
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - line) : len - pos;
        /* A NUL byte ends the text as far as the file format goes. */
        const char *nul = memchr(line, '\0', l);
        if (nul) {
            l = (size_t)(nul - line);
            nl = NULL;
            len = pos + l;
        }
        rc = parse_line(out, is_config, line, l, &section, &parent);
        pos += l + (nl ? 1 : 0);
    }
    free(section);
    free(parent);
    if (rc < 0)
        profile_file_free(out);
    return rc;
}

void profile_file_free(profile_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].profile);
        free(f->items[i].key);
        if (f->items[i].value)
            memset(f->items[i].value, 0, strlen(f->items[i].value));
        free(f->items[i].value);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

const char *profile_file_get(const profile_file *f, const char *profile, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->items[i].profile, profile) == 0 && strcmp(f->items[i].key, key) == 0)
            v = f->items[i].value;
    return v;
}

static char *home_path(const char *env, const char *rel)
{
    const char *v = getenv(env);
    if (v && *v)
        return strdup(v);
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    return path_join(home, rel);
}

static int load_one(const char *path, int is_config, profile_file *out)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    if (!path || read_file(path, &text, &len) < 0)
        return 0;   /* a missing file is an empty one */
    int rc = profile_parse(text, len, is_config, out);
    memset(text, 0, len);
    free(text);
    return rc;
}

int profile_files_load(profile_files *pf, const char *profile)
{
    memset(pf, 0, sizeof *pf);
    const char *name = profile && *profile ? profile : getenv("AWS_PROFILE");
    if (!name || !*name)
        name = getenv("AWS_DEFAULT_PROFILE");
    pf->profile = strdup(name && *name ? name : "default");
    char *cred = home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *conf = home_path("AWS_CONFIG_FILE", ".aws/config");
    int rc = pf->profile && load_one(cred, 0, &pf->credentials) == 0 &&
                     load_one(conf, 1, &pf->config) == 0
                 ? 0
                 : -1;
    free(cred);
    free(conf);
    if (rc < 0)
        profile_files_free(pf);
    return rc;
}

void profile_files_free(profile_files *pf)
{
    profile_file_free(&pf->credentials);
    profile_file_free(&pf->config);
    free(pf->profile);
    memset(pf, 0, sizeof *pf);
}

const char *profile_get(const profile_files *pf, const char *key)
{
    const char *v = profile_file_get(&pf->credentials, pf->profile, key);
    return v ? v : profile_file_get(&pf->config, pf->profile, key);
}

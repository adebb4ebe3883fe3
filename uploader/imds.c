#include "uploader/imds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uploader/http.h"

#define IMDS_TIMEOUT_MS 2000L

int imds_enabled(void)
{
    const char *v = getenv("AWS_EC2_METADATA_DISABLED");
    return !(v && strcasecmp(v, "true") == 0);
}

static const char *imds_base(void)
{
    const char *v = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    return v && *v ? v : "http://169.254.169.254";
}

static int imds_request(const char *method, const char *path, const char *hname,
                        const char *hvalue, strbuf *out, char *err, size_t err_cap)
{
    char url[1024];
    const char *base = imds_base();
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(url, sizeof url, "%.*s%s", (int)bl, base, path);
    http_xfer x;
    http_xfer_init(&x);
    struct curl_slist *h = NULL;
    int rc = -1;
    if (http_add_header(&h, hname, hvalue) < 0)
        goto done;
    x.method = method;
    x.url = url;
    x.headers = h;
    x.timeout_ms = IMDS_TIMEOUT_MS;
    if (http_xfer_prepare(&x) < 0)
        goto done;
    if (http_xfer_perform(&x) < 0) {
        snprintf(err, err_cap, "IMDS %s: %s", url, x.curl_err);
        goto done;
    }
    if (x.status != 200) {
        snprintf(err, err_cap, "IMDS %s: HTTP %ld", url, x.status);
        goto done;
    }
    sb_reset(out);
    rc = sb_append(out, x.resp.buf ? x.resp.buf : "", x.resp.len);
done:
    curl_slist_free_all(h);
    http_xfer_cleanup(&x);
    return rc;
}

int imds_get(strbuf *token, const char *path, strbuf *out, char *err, size_t err_cap)
{
    if (!imds_enabled()) {
        snprintf(err, err_cap, "IMDS disabled (AWS_EC2_METADATA_DISABLED)");
        return -1;
    }
    if (token->len == 0 &&
        imds_request("PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds",
                     "21600", token, err, err_cap) < 0)
        return -1;
    return imds_request("GET", path, "X-aws-ec2-metadata-token", sb_str(token), out, err,
                        err_cap);
}

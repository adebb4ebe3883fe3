/* EC2 instance metadata (IMDSv2: a session token from PUT /latest/api/token, then GETs that
 * carry it). AWS_EC2_METADATA_DISABLED=true turns it off; AWS_EC2_METADATA_SERVICE_ENDPOINT
 * moves it (tests point it at a local stand-in). Short timeouts: off EC2 nothing answers. */
#ifndef UPLOADER_IMDS_H
#define UPLOADER_IMDS_H

#include "common/strbuf.h"

/* 1 when IMDS may be asked. */
int imds_enabled(void);
/* GETs path (e.g. "/latest/meta-data/placement/region") into out. token is the IMDSv2
 * session token, fetched into it when empty so that a sequence of GETs shares one (the
 * caller frees it). 0, or -1 with a reason in err (err_cap bytes). */
int imds_get(strbuf *token, const char *path, strbuf *out, char *err, size_t err_cap);

#endif

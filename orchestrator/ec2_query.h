/* EC2's query protocol as the price and instance-fact lookups use it: a form-encoded POST
 * signed through uploader/aws.h, and an XML response walked element by element (expat). */
#ifndef ORCHESTRATOR_EC2_QUERY_H
#define ORCHESTRATOR_EC2_QUERY_H

#include <stddef.h>

#include "common/strbuf.h"
#include "uploader/aws.h"

/* Appends "&key=value" (or "key=value" first) with RFC 3986 percent-encoding. */
int ec2_query_param(strbuf *sb, const char *key, const char *value);
/* POSTs the form body to EC2 (API version 2016-11-15 is added by the caller). On success
 * resp holds the XML; the caller frees it with aws_response_free. 0 or -1 (err filled). */
int ec2_query_call(aws_session *s, const char *action, const char *form, aws_response *resp,
                   char *err, size_t errlen);

/* Called at the end of every element with its path from the root ("/A/B/item/C", no
 * namespaces) and its own text (trimmed of nothing; "" when it has none). A non-zero
 * return stops the walk. */
typedef int (*xml_end_fn)(void *ud, const char *path, const char *text);
/* Walks a whole document. Paths deeper than 2 KiB and texts over 64 KiB are errors. */
int xml_walk(const char *xml, size_t len, xml_end_fn fn, void *ud, char *err, size_t errlen);

#endif

/* libFuzzer target: the S3/STS XML parsers (error documents, CreateMultipartUpload,
 * CompleteMultipartUpload's checksum, ListObjectsV2, STS credentials) on arbitrary bytes.
 * No crash, no leak, and what a parser accepts is consistent: a truncated listing always
 * has a continuation token. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uploader/s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    char code[128], msg[256];
    if (s3_xml_parse_error(xml, size, code, sizeof code, msg, sizeof msg) == 0 && !code[0])
        abort();
    char *id = NULL;
    if (s3_xml_parse_initiate(xml, size, &id) == 0 && (!id || !*id))
        abort();
    free(id);
    /* A small buffer: a long checksum is cut, never written past it. */
    char sum[12];
    int rc = s3_xml_parse_complete_checksum(xml, size, sum, sizeof sum);
    if (strnlen(sum, sizeof sum) == sizeof sum || (rc < 0 && sum[0]))
        abort();
    s3_list_page page;
    if (s3_xml_parse_list(xml, size, &page) == 0) {
        if (page.truncated && (!page.next_token || !*page.next_token))
            abort();
        for (size_t i = 0; i < page.n; i++)
            if (!page.items[i].key)
                abort();
        s3_list_page_free(&page);
    }
    sts_credentials c;
    if (sts_xml_parse_credentials(xml, size, &c) == 0) {
        if (!c.access_key || !c.secret_key)
            abort();
        sts_credentials_free(&c);
    }
    return 0;
}

/* The XML documents S3 and STS answer with, parsed with expat: error documents,
 * InitiateMultipartUploadResult, CompleteMultipartUploadResult (which can carry an error
 * inside a 200), ListBucketResult (ListObjectsV2) and STS's credentials.
 *
 * Every function takes untrusted bytes and returns 0 on a well-formed document of the
 * expected kind, -1 otherwise; outputs are owned by the caller. */
#ifndef UPLOADER_S3_XML_H
#define UPLOADER_S3_XML_H

#include <stddef.h>
#include <stdint.h>

/* <Error><Code/><Message/></Error> (S3) or <ErrorResponse><Error>... (STS, query APIs). */
int s3_xml_parse_error(const char *xml, size_t len, char *code, size_t code_cap, char *message,
                       size_t message_cap);

/* <InitiateMultipartUploadResult><UploadId/>: *upload_id malloc'd. */
int s3_xml_parse_initiate(const char *xml, size_t len, char **upload_id);

/* <CompleteMultipartUploadResult><ChecksumCRC32/>: copied into out ("" when absent). */
int s3_xml_parse_complete_checksum(const char *xml, size_t len, char *out, size_t cap);

typedef struct s3_list_entry {
    char *key;
    uint64_t size;
    char *etag;
    char *last_modified;
} s3_list_entry;

typedef struct s3_list_page {
    s3_list_entry *items;
    size_t n;
    int truncated;
    char *next_token;      /* NextContinuationToken, or NULL */
} s3_list_page;

int  s3_xml_parse_list(const char *xml, size_t len, s3_list_page *page);
void s3_list_page_free(s3_list_page *page);

typedef struct sts_credentials {
    char *access_key;
    char *secret_key;
    char *session_token;
    char *expiration;      /* RFC 3339 */
} sts_credentials;

/* AssumeRole*Response/...Result/Credentials. */
int  sts_xml_parse_credentials(const char *xml, size_t len, sts_credentials *out);
void sts_credentials_free(sts_credentials *c);

#endif

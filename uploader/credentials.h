/* AWS credentials and the standard provider chain, in the SDKs' order:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME)
 *      through STS AssumeRoleWithWebIdentity;
 *   3. the shared files' profile: static keys, role_arn + web_identity_token_file, or
 *      credential_process;
 *   4. ECS/Batch container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI,
 *      with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE];
 *   5. EC2 instance metadata (IMDSv2).
 * Temporary credentials are fetched again from the same source when they have less than
 * five minutes left. The provider is thread-safe (parallel multipart parts share it).
 *
 * Ownership: creds_provider_new() allocates, creds_provider_free() frees. Credentials
 * returned by creds_provider_get() are a copy the caller clears with aws_credentials_clear. */
#ifndef UPLOADER_CREDENTIALS_H
#define UPLOADER_CREDENTIALS_H

#include "uploader/aws.h"
#include "uploader/profile.h"

typedef struct aws_credentials {
    char *access_key;
    char *secret_key;
    char *session_token;   /* or NULL */
    double expiration;     /* epoch seconds; 0: does not expire */
    char source[32];       /* "environment", "web-identity", "profile", "container", "imds" */
} aws_credentials;

void aws_credentials_clear(aws_credentials *c);   /* wipes the secret, frees */

#define CREDS_REFRESH_WINDOW 300.0

typedef struct creds_provider creds_provider;

/* pf: the loaded shared files (copied from as needed, not kept); sts_endpoint: the base URL
 * of STS for web identity. */
int  creds_provider_new(const profile_files *pf, const char *sts_endpoint,
                        creds_provider **out);
void creds_provider_free(creds_provider *p);
/* Current credentials (resolving the chain the first time, refreshing when near expiry).
 * 0, or -1 with err saying which sources were tried and why each failed. */
int  creds_provider_get(creds_provider *p, aws_credentials *out, aws_error *err);
/* Forget cached credentials (the service said they expired). */
void creds_provider_invalidate(creds_provider *p);
/* How many times credentials were fetched from their source (tests check refreshes). */
unsigned creds_provider_fetches(creds_provider *p);

#endif

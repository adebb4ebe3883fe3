/* The shared config and credentials files (~/.aws/config, ~/.aws/credentials): an ini
 * dialect where the config file names profiles "[profile NAME]" (and "[default]") and the
 * credentials file names them "[NAME]"; nested settings ("s3 =" followed by indented
 * "key = value" lines) are kept as "s3.key".
 *
 * Ownership: profile_files_load() fills a caller-owned struct; profile_files_free(). */
#ifndef UPLOADER_PROFILE_H
#define UPLOADER_PROFILE_H

#include <stddef.h>

typedef struct profile_entry {
    char *profile;
    char *key;
    char *value;
} profile_entry;

typedef struct profile_file {
    profile_entry *items;
    size_t n, cap;
} profile_file;

/* Parses untrusted text; lines it does not understand are skipped. 0, or -1 on ENOMEM. */
int  profile_parse(const char *text, size_t len, int is_config, profile_file *out);
void profile_file_free(profile_file *f);
/* The last value of key in profile, or NULL. */
const char *profile_file_get(const profile_file *f, const char *profile, const char *key);

typedef struct profile_files {
    profile_file credentials;
    profile_file config;
    char *profile;          /* the selected profile name */
} profile_files;

/* Loads AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE
 * (~/.aws/config); missing files are empty. profile: NULL for AWS_PROFILE or "default". */
int  profile_files_load(profile_files *pf, const char *profile);
void profile_files_free(profile_files *pf);
/* A setting of the selected profile: the credentials file wins over the config file. */
const char *profile_get(const profile_files *pf, const char *key);

#endif

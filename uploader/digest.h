/* Hashes and encodings SigV4 and S3 integrity checks need (OpenSSL underneath). */
#ifndef UPLOADER_DIGEST_H
#define UPLOADER_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

/* Lower-case hex of SHA-256(data) into out (at least 65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256(key, msg) into out (32 bytes). */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Standard base64 with padding of n bytes into out (4*ceil(n/3)+1 bytes). */
void base64_encode(const unsigned char *in, size_t n, char *out);
/* Base64 of MD5(data) (Content-MD5's form) into out (at least 25 bytes). */
void md5_base64(const void *data, size_t len, char out[25]);

/* CRC-32 (ISO-HDLC, zlib's and libdeflate's, the one S3 calls CRC32): crc32_update(0, ...) starts, later
 * calls continue it over the following bytes. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);
/* The 4 bytes of crc, most significant first (the form S3 hashes and base64-encodes). */
void crc32_bytes(uint32_t crc, unsigned char out[4]);

#endif

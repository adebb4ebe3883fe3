/* The CA bundle of the build host, compiled in (tools/gen_ca_bundle.sh writes the bytes):
 * http.c falls back to it when no CA file exists, as in a FROM scratch image. */
#include "uploader/http.h"

const char ca_embedded_pem[] = {
#include "ca_bundle.inc"
};
/* Minus the terminating NUL the generator appends. */
const size_t ca_embedded_pem_len = sizeof ca_embedded_pem - 1;

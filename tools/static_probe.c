/* Proves the static toolchain: links and calls every library the static monitor needs
 * (libcurl with OpenSSL and c-ares, expat, jansson, libnl-3, libnl-route-3) and prints
 * their versions as one JSON object. Run where no shared library exists (a chroot or a
 * FROM scratch image), it shows that the link really is complete. Exit 0 on success. */
#include <ares.h>
#include <curl/curl.h>
#include <expat.h>
#include <jansson.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* SHA-256 of "abc" through OpenSSL's EVP, so libcrypto's digest code is really linked. */
static int sha256_ok(void)
{
    static const unsigned char want[4] = {0xba, 0x78, 0x16, 0xbf};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest("abc", 3, md, &len, EVP_sha256(), NULL)) return 0;
    return len == 32 && memcmp(md, want, sizeof want) == 0;
}

static int expat_ok(void)
{
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p) return 0;
    static const char doc[] = "<a><b>1</b></a>";
    int ok = XML_Parse(p, doc, (int)strlen(doc), 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok;
}

/* Counts the links of this network namespace through rtnetlink; -1 when netlink fails. */
static int count_links(void)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    int n = -1;
    if (!sk) return -1;
    if (nl_connect(sk, NETLINK_ROUTE) == 0 && rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) == 0) {
        n = nl_cache_nitems(cache);
        nl_cache_free(cache);
    }
    nl_socket_free(sk);
    return n;
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    int has_ares = (cv->features & CURL_VERSION_ASYNCHDNS) && cv->ares;
    int has_ssl = (cv->features & CURL_VERSION_SSL) != 0;

    json_t *o = json_object();
    json_object_set_new(o, "curl", json_string(cv->version));
    json_object_set_new(o, "curl_ssl", json_string(cv->ssl_version ? cv->ssl_version : ""));
    json_object_set_new(o, "curl_ares", json_boolean(has_ares));
    json_t *protocols = json_array();
    for (const char *const *p = cv->protocols; p && *p; p++) json_array_append_new(protocols, json_string(*p));
    json_object_set_new(o, "curl_protocols", protocols);
    json_object_set_new(o, "openssl", json_string(OpenSSL_version(OPENSSL_VERSION)));
    json_object_set_new(o, "sha256", json_boolean(sha256_ok()));
    json_object_set_new(o, "cares", json_string(ares_version(NULL)));
    json_object_set_new(o, "expat", json_string(XML_ExpatVersion()));
    json_object_set_new(o, "expat_parse", json_boolean(expat_ok()));
    json_object_set_new(o, "jansson", json_string(JANSSON_VERSION));
    json_object_set_new(o, "netlink_links", json_integer(count_links()));

    char *s = json_dumps(o, JSON_COMPACT);
    int ok = s && has_ssl && has_ares && sha256_ok() && expat_ok();
    if (s) puts(s);
    free(s);
    json_decref(o);
    curl_global_cleanup();
    return ok ? 0 : 1;
}

/* libFuzzer target: summary.json quotes strings the monitor does not control (the
 * command's arguments, environment values, file names in reasons). Whatever the bytes,
 * the quoted text must be one valid JSON string that jansson reads back, and it must
 * read back as the input itself whenever the input is valid UTF-8. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "monitor/json_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* C strings end at the first NUL, as argv and getenv's do */
    strbuf sb = STRBUF_INIT;
    if (json_out_quote(&sb, s) == 0) {
        json_error_t err;
        json_t *v = json_loads(sb_str(&sb), JSON_DECODE_ANY, &err);
        if (!v || !json_is_string(v))
            abort();
        json_t *valid = json_string(s); /* NULL when s is not valid UTF-8 */
        if (valid && strcmp(json_string_value(v), s) != 0)
            abort();
        json_decref(valid);
        json_decref(v);
    }
    sb_free(&sb);
    free(s);
    return 0;
}

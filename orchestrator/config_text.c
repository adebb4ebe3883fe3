/* Edit distance for "did you mean" and the older tool's whitespace splitting. */
#include "orchestrator/config_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t config_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 256 || lb > 256)
        return (size_t)-1;   /* nobody misspells a key that long */
    size_t row[257];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t best = diag + (same ? 0 : 1);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *config_nearest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = config_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    /* Plausible: a third of the word wrong at most (at least 2 edits allowed), or one is
     * a prefix of the other ("replicate" for "replicates"). */
    size_t len = strlen(word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    if (best && best_d <= limit && best_d < len)
        return best;
    for (size_t i = 0; i < n; i++) {
        size_t lc = strlen(candidates[i]);
        if (len >= 3 && lc >= 3 &&
            strncasecmp(word, candidates[i], len < lc ? len : lc) == 0)
            return candidates[i];
    }
    return NULL;
}

int config_split_words(const char *s, char ***out, size_t *n)
{
    size_t cap = 8, count = 0;
    char **v = calloc(cap, sizeof *v);
    if (!v)
        return -1;
    while (s && *s) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        const char *start = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (count + 1 >= cap) {
            char **nv = realloc(v, cap * 2 * sizeof *v);
            if (!nv)
                goto oom;
            v = nv;
            cap *= 2;
        }
        if (!(v[count] = strndup(start, (size_t)(s - start))))
            goto oom;
        count++;
    }
    *out = v;
    *n = count;
    return 0;
oom:
    for (size_t i = 0; i < count; i++)
        free(v[i]);
    free(v);
    return -1;
}

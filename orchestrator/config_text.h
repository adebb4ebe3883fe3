/* Text helpers shared by the config parsers. */
#ifndef ORCHESTRATOR_CONFIG_TEXT_H
#define ORCHESTRATOR_CONFIG_TEXT_H

#include <stddef.h>

/* The candidate nearest to WORD by edit distance (Levenshtein, case-insensitive), or NULL
 * when none is close enough to be a plausible misspelling. Points into candidates. */
const char *config_nearest(const char *word, const char *const *candidates, size_t n);
size_t config_edit_distance(const char *a, const char *b);

/* Splits S on blanks into a new array of new strings (no quoting: the older tool's
 * run_cmd.split()). 0 or -1 (ENOMEM); the caller frees each string and the array. */
int config_split_words(const char *s, char ***out, size_t *n);

/* The YAML parser's top-level keys (for documentation checks and suggestions). */
const char *const *config_yaml_top_keys(size_t *n);

#endif

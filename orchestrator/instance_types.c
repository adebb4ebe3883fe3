/* Lookups over the built-in EC2 table: exact names, families, globs, architecture. */
#include "orchestrator/instance_types.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "orchestrator/instance_types_table.h"

const instance_type_info *instance_type_lookup(const char *name)
{
    for (size_t i = 0; i < instance_types_table_len; i++)
        if (strcmp(instance_types_table[i].name, name) == 0)
            return &instance_types_table[i];
    return NULL;
}

const instance_type_info *instance_types_all(size_t *n)
{
    *n = instance_types_table_len;
    return instance_types_table;
}

int instance_type_matches(const char *name, const char *pattern)
{
    if (strcmp(name, pattern) == 0)
        return 1;
    if (!strchr(pattern, '.') && !strpbrk(pattern, "*?[")) {
        size_t n = strlen(pattern);   /* a family: "c7g" matches "c7g.*" only */
        return strncmp(name, pattern, n) == 0 && name[n] == '.';
    }
    return fnmatch(pattern, name, 0) == 0;
}

int instance_type_pattern_known(const char *pattern)
{
    for (size_t i = 0; i < instance_types_table_len; i++)
        if (instance_type_matches(instance_types_table[i].name, pattern))
            return 1;
    return 0;
}

const char *instance_type_arch(const char *name)
{
    const instance_type_info *t = instance_type_lookup(name);
    if (t)
        return t->arch;
    /* Naming rule: letters, the generation digits, then attributes; 'g' among the
     * attributes means Graviton (c7g, m6gd, t4g, c7gn), 'a' AMD, 'i' Intel. */
    const char *p = name;
    while (*p && isalpha((unsigned char)*p))
        p++;
    if (p == name || !isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    for (; *p && *p != '.'; p++)
        if (*p == 'g')
            return "arm64";
    return "x86_64";
}

const char *instance_arch_normalise(const char *arch)
{
    static const struct { const char *in, *out; } map[] = {
        {"x86_64", "x86_64"}, {"amd64", "x86_64"}, {"x86-64", "x86_64"},
        {"arm64", "arm64"},   {"aarch64", "arm64"}, {"arm64v8", "arm64"},
    };
    for (size_t i = 0; arch && i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(arch, map[i].in) == 0)
            return map[i].out;
    return NULL;
}

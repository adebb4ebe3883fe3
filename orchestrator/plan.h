/* The plan: instance types × parameter points × replicates.
 *
 * - Instance types are expanded from what the config names (exact types, families such as
 *   "c7g", patterns such as "m6i.*") through the built-in table (instance_types.h), minus the
 *   excludes, and filtered by the image's architecture. The local backend's "types" are its
 *   profiles.
 * - A point is one value per workload parameter (plus nodes/gpus when those vary). Its tag is
 *   a stable, readable encoding made only of URI-unreserved characters, so it is a safe file
 *   name and an S3 key segment that no signer or emulator encodes differently:
 *   "threads-4_algo-quick_lr-0.001" (NAME-VALUE joined by '_', in declaration order; value
 *   characters other than [A-Za-z0-9.-] are written ~XX; a point of no parameters is
 *   "default"; tags over 200 bytes are cut and end in ~ and a hash).
 * - argv: an element "ARGS" becomes the values in declaration order, one element each;
 *   "{NAME}" inside an element becomes that value. No shell is involved.
 *
 * Ownership: every out-array is allocated here and released with the matching *_free. */
#ifndef ORCHESTRATOR_PLAN_H
#define ORCHESTRATOR_PLAN_H

#include <stddef.h>

#include "orchestrator/config.h"

typedef struct plan_point {
    char **values;       /* cfg->n_params strings, in the config's parameter order */
    size_t n_values;
    int nodes;           /* >= 1 */
    int gpus;            /* >= 0 */
    char *tag;           /* plan_point_tag() of the above */
} plan_point;

/* The concrete instance types of the plan, in config order, without duplicates. 0 or -1. */
int  plan_instance_types(const config *cfg, char ***out, size_t *n, char *err, size_t errlen);
void plan_strings_free(char **v, size_t n);

/* The full factorial of the parameters' values (values lists, or count points spread over
 * min..max), × node counts × GPU counts. 0 or -1 (err says which parameter has no values). */
int  plan_points(const config *cfg, plan_point **out, size_t *n, char *err, size_t errlen);
void plan_points_free(plan_point *p, size_t n);

/* Fills p->tag from p's values; 0 or -1 (ENOMEM). */
int  plan_point_make_tag(const config *cfg, plan_point *p);
/* A newly allocated tag; NULL on ENOMEM. values has cfg->n_params entries. */
char *plan_point_tag(const config *cfg, char *const *values, int nodes, int gpus);
/* Path-safe escaping of one value (the tag's rule); caller frees. */
char *plan_escape_value(const char *v);

/* The job's argv (NULL-terminated, caller frees with plan_argv_free) with ARGS and {NAME}
 * expanded from p. 0 or -1 with err (an unknown {NAME}). */
int  plan_argv(const config *cfg, const plan_point *p, char ***argv, char *err, size_t errlen);
void plan_argv_free(char **argv);

/* The parameter values as a JSON object text {"name":"value",...}; caller frees. */
char *plan_point_params_json(const config *cfg, const plan_point *p);
/* The reverse: fills p->values from such JSON (missing names: NULL → error). 0 or -1. */
int  plan_point_from_params_json(const config *cfg, const char *json, plan_point *p);

#endif

/* A tiny, safe expression language over the columns of a table, for the objective (and the
 * row filter) of `orchestrate simulate`, e.g.
 *     time/3600*num_machines*vm_cost
 *     acc >= 0.85 ? training_time/3600*(n_workers+1)*price : nan
 * Numbers, column names ([A-Za-z_][A-Za-z0-9_.]*, or any text in `backquotes`), "strings",
 * + - * / % ^ (power), comparisons (strings compare as text), && || !, c ? a : b, and the
 * functions log ln log2 log10 exp sqrt abs floor ceil min max pow if isnan. Nothing else:
 * no assignment, no loops, bounded depth. A NaN result marks a row as not usable.
 *
 * Ownership: sim_expr_compile() returns an expression the caller frees with
 * sim_expr_free(). */
#ifndef ORCHESTRATOR_SIMULATE_EXPR_H
#define ORCHESTRATOR_SIMULATE_EXPR_H

#include <stddef.h>

typedef struct sim_expr sim_expr;

/* lookup returns the column index of a name, or -1 (then compiling fails naming it). */
typedef int (*sim_expr_lookup)(void *ctx, const char *name);
/* cell returns the text of column col in the current row ("" when missing). */
typedef const char *(*sim_expr_cell)(void *ctx, int col);

sim_expr *sim_expr_compile(const char *text, sim_expr_lookup lookup, void *ctx, char *err,
                           size_t errlen);
double sim_expr_eval(const sim_expr *e, sim_expr_cell cell, void *ctx);
void sim_expr_free(sim_expr *e);

#endif

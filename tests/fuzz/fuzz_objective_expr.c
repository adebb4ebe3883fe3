/* The objective expression language of `orchestrate simulate`: compiling any text must
 * fail cleanly or give an expression that evaluates without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/simulate_expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "time", "n", "vm", "acc" };
static const char *const cells[] = { "12.5", "4", "c5.large", "" };

static int lookup(void *ctx, const char *name)
{
    (void)ctx;
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static const char *cell(void *ctx, int col)
{
    (void)ctx;
    return cells[col];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    sim_expr *e = sim_expr_compile(text, lookup, NULL, err, sizeof err);
    if (e)
        (void)sim_expr_eval(e, cell, NULL);
    sim_expr_free(e);
    free(text);
    return 0;
}

#include "orchestrator/simulate_expr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_NODES 4096
#define MAX_ARGS 4

typedef enum node_kind {
    N_NUM, N_STR, N_COL, N_NEG, N_NOT, N_BIN, N_COND, N_CALL
} node_kind;

typedef enum fn_kind {
    F_LOG, F_LOG2, F_LOG10, F_EXP, F_SQRT, F_ABS, F_FLOOR, F_CEIL, F_MIN, F_MAX, F_POW, F_IF,
    F_ISNAN
} fn_kind;

static const struct {
    const char *name;
    fn_kind fn;
    int min_args, max_args;
} functions[] = {
    { "log", F_LOG, 1, 1 },     { "ln", F_LOG, 1, 1 },     { "log2", F_LOG2, 1, 1 },
    { "log10", F_LOG10, 1, 1 }, { "exp", F_EXP, 1, 1 },    { "sqrt", F_SQRT, 1, 1 },
    { "abs", F_ABS, 1, 1 },     { "floor", F_FLOOR, 1, 1 }, { "ceil", F_CEIL, 1, 1 },
    { "min", F_MIN, 2, MAX_ARGS }, { "max", F_MAX, 2, MAX_ARGS }, { "pow", F_POW, 2, 2 },
    { "if", F_IF, 3, 3 },       { "isnan", F_ISNAN, 1, 1 },
};

/* Binary operators are their token text: "+", "<=", "&&", ... */
typedef struct node {
    node_kind kind;
    double num;
    char *str;           /* N_STR */
    int col;             /* N_COL */
    char op[3];          /* N_BIN */
    fn_kind fn;          /* N_CALL */
    int nargs;
    int kid[MAX_ARGS];   /* children: BIN 2, COND 3, NEG/NOT 1, CALL nargs */
} node;

struct sim_expr {
    node *nodes;
    size_t n, cap;
    int root;
};

typedef struct parser {
    const char *s, *p;
    sim_expr *e;
    sim_expr_lookup lookup;
    void *ctx;
    char *err;
    size_t errlen;
    int failed;
    int depth;
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *ps, const char *fmt, ...)
{
    if (!ps->failed) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(ps->err, ps->errlen, "objective: %s at column %d", msg,
                 (int)(ps->p - ps->s) + 1);
    }
    ps->failed = 1;
    return -1;
}

static int new_node(parser *ps, node_kind kind)
{
    sim_expr *e = ps->e;
    if (e->n >= MAX_NODES)
        return fail(ps, "expression too long");
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        node *g = realloc(e->nodes, cap * sizeof *g);
        if (!g)
            return fail(ps, "out of memory");
        e->nodes = g;
        e->cap = cap;
    }
    node *nd = &e->nodes[e->n];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    return (int)e->n++;
}

static void skip_space(parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

/* Consumes tok when it comes next (and, for "<" or ">", is not the start of "<=" etc.). */
static int accept(parser *ps, const char *tok)
{
    skip_space(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n) != 0)
        return 0;
    if (n == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!' || tok[0] == '=') &&
        ps->p[1] == '=')
        return 0;
    ps->p += n;
    return 1;
}

static int parse_expr(parser *ps);

static int unary_node(parser *ps, node_kind kind, int kid)
{
    if (kid < 0)
        return -1;
    int n = new_node(ps, kind);
    if (n >= 0)
        ps->e->nodes[n].kid[0] = kid;
    return n;
}

static int bin_node(parser *ps, const char *op, int a, int b)
{
    if (a < 0 || b < 0)
        return -1;
    int n = new_node(ps, N_BIN);
    if (n < 0)
        return -1;
    node *nd = &ps->e->nodes[n];
    snprintf(nd->op, sizeof nd->op, "%s", op);
    nd->kid[0] = a;
    nd->kid[1] = b;
    return n;
}

static int parse_string(parser *ps)
{
    char quote = *ps->p++;
    const char *start = ps->p;
    while (*ps->p && *ps->p != quote)
        ps->p++;
    if (*ps->p != quote)
        return fail(ps, "unterminated string");
    int n = new_node(ps, quote == '`' ? N_COL : N_STR);
    if (n < 0)
        return -1;
    char *text = strndup(start, (size_t)(ps->p - start));
    ps->p++;
    if (!text)
        return fail(ps, "out of memory");
    node *nd = &ps->e->nodes[n];
    if (quote != '`') {
        nd->str = text;
        return n;
    }
    nd->col = ps->lookup(ps->ctx, text);
    if (nd->col < 0) {
        fail(ps, "no column named %s", text);
        free(text);
        return -1;
    }
    free(text);
    return n;
}

static int parse_call(parser *ps, const char *name)
{
    size_t f = 0, nf = sizeof functions / sizeof functions[0];
    while (f < nf && strcmp(functions[f].name, name) != 0)
        f++;
    if (f == nf)
        return fail(ps, "no function named %s", name);
    int args[MAX_ARGS], nargs = 0;
    if (!accept(ps, ")")) {
        do {
            if (nargs == MAX_ARGS)
                return fail(ps, "too many arguments to %s", name);
            args[nargs] = parse_expr(ps);
            if (args[nargs++] < 0)
                return -1;
        } while (accept(ps, ","));
        if (!accept(ps, ")"))
            return fail(ps, "expected ) after the arguments of %s", name);
    }
    if (nargs < functions[f].min_args || nargs > functions[f].max_args)
        return fail(ps, "wrong number of arguments to %s", name);
    int n = new_node(ps, N_CALL);
    if (n < 0)
        return -1;
    node *nd = &ps->e->nodes[n];
    nd->fn = functions[f].fn;
    nd->nargs = nargs;
    memcpy(nd->kid, args, (size_t)nargs * sizeof *args);
    return n;
}

static int parse_name(parser *ps)
{
    const char *start = ps->p;
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '.')
        ps->p++;
    char name[128];
    size_t len = (size_t)(ps->p - start);
    if (len >= sizeof name)
        return fail(ps, "name too long");
    memcpy(name, start, len);
    name[len] = '\0';
    if (accept(ps, "("))
        return parse_call(ps, name);
    int col = ps->lookup(ps->ctx, name);
    if (col < 0 && (strcmp(name, "nan") == 0 || strcmp(name, "inf") == 0)) {
        int n = new_node(ps, N_NUM);
        if (n >= 0)
            ps->e->nodes[n].num = name[0] == 'n' ? NAN : INFINITY;
        return n;
    }
    if (col < 0)
        return fail(ps, "no column named %s", name);
    int n = new_node(ps, N_COL);
    if (n >= 0)
        ps->e->nodes[n].col = col;
    return n;
}

static int parse_primary(parser *ps)
{
    skip_space(ps);
    char c = *ps->p;
    if (c == '(') {
        ps->p++;
        int n = parse_expr(ps);
        if (n >= 0 && !accept(ps, ")"))
            return fail(ps, "expected )");
        return n;
    }
    if (c == '"' || c == '\'' || c == '`')
        return parse_string(ps);
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)ps->p[1]))) {
        char *end;
        errno = 0;
        double v = strtod(ps->p, &end);
        if (end == ps->p || errno == ERANGE)
            return fail(ps, "bad number");
        ps->p = end;
        int n = new_node(ps, N_NUM);
        if (n >= 0)
            ps->e->nodes[n].num = v;
        return n;
    }
    if (isalpha((unsigned char)c) || c == '_')
        return parse_name(ps);
    return c ? fail(ps, "unexpected '%c'", c) : fail(ps, "unexpected end");
}

static int parse_unary(parser *ps);

static int parse_power(parser *ps)
{
    int a = parse_primary(ps);
    if (a >= 0 && accept(ps, "^"))
        return bin_node(ps, "^", a, parse_unary(ps));  /* right-associative */
    return a;
}

static int parse_unary(parser *ps)
{
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "expression nested too deeply");
    int n;
    if (accept(ps, "-"))
        n = unary_node(ps, N_NEG, parse_unary(ps));
    else if (accept(ps, "!"))
        n = unary_node(ps, N_NOT, parse_unary(ps));
    else if (accept(ps, "+"))
        n = parse_unary(ps);
    else
        n = parse_power(ps);
    ps->depth--;
    return n;
}

static int parse_mul(parser *ps)
{
    int a = parse_unary(ps);
    for (;;) {
        const char *op = accept(ps, "*") ? "*" : accept(ps, "/") ? "/" : accept(ps, "%") ? "%" : NULL;
        if (!op || a < 0)
            return a;
        a = bin_node(ps, op, a, parse_unary(ps));
    }
}

static int parse_add(parser *ps)
{
    int a = parse_mul(ps);
    for (;;) {
        const char *op = accept(ps, "+") ? "+" : accept(ps, "-") ? "-" : NULL;
        if (!op || a < 0)
            return a;
        a = bin_node(ps, op, a, parse_mul(ps));
    }
}

static int parse_cmp(parser *ps)
{
    static const char *const ops[] = { "<=", ">=", "==", "!=", "<", ">" };
    int a = parse_add(ps);
    if (a < 0)
        return a;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (accept(ps, ops[i]))
            return bin_node(ps, ops[i], a, parse_add(ps));
    return a;
}

static int parse_and(parser *ps)
{
    int a = parse_cmp(ps);
    while (a >= 0 && accept(ps, "&&"))
        a = bin_node(ps, "&&", a, parse_cmp(ps));
    return a;
}

static int parse_or(parser *ps)
{
    int a = parse_and(ps);
    while (a >= 0 && accept(ps, "||"))
        a = bin_node(ps, "||", a, parse_and(ps));
    return a;
}

static int parse_expr(parser *ps)
{
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "expression nested too deeply");
    int c = parse_or(ps);
    if (c >= 0 && accept(ps, "?")) {
        int a = parse_expr(ps);
        if (a >= 0 && !accept(ps, ":"))
            c = fail(ps, "expected : in c ? a : b");
        int b = c >= 0 && a >= 0 ? parse_expr(ps) : -1;
        int n = c >= 0 && a >= 0 && b >= 0 ? new_node(ps, N_COND) : -1;
        if (n >= 0) {
            node *nd = &ps->e->nodes[n];
            nd->kid[0] = c;
            nd->kid[1] = a;
            nd->kid[2] = b;
        }
        c = n;
    }
    ps->depth--;
    return c;
}

void sim_expr_free(sim_expr *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->nodes[i].str);
    free(e->nodes);
    free(e);
}

sim_expr *sim_expr_compile(const char *text, sim_expr_lookup lookup, void *ctx, char *err,
                           size_t errlen)
{
    sim_expr *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "objective: out of memory");
        return NULL;
    }
    parser ps = { text, text, e, lookup, ctx, err, errlen, 0, 0 };
    e->root = parse_expr(&ps);
    skip_space(&ps);
    if (e->root >= 0 && *ps.p)
        fail(&ps, "unexpected '%c'", *ps.p);
    if (ps.failed || e->root < 0) {
        sim_expr_free(e);
        return NULL;
    }
    return e;
}

/* ---- evaluation ------------------------------------------------------------------------- */

/* A value: a number, and the text it came from when it came from a cell or a literal. */
typedef struct value {
    double num;
    const char *text;
} value;

static double parse_num(const char *t)
{
    char *end;
    while (isspace((unsigned char)*t))
        t++;
    if (!*t)
        return NAN;
    double v = strtod(t, &end);
    while (isspace((unsigned char)*end))
        end++;
    return *end ? NAN : v;
}

typedef struct evaluator {
    const sim_expr *e;
    sim_expr_cell cell;
    void *ctx;
} evaluator;

static value eval(const evaluator *ev, int i);

static double num(const evaluator *ev, int i)
{
    return eval(ev, i).num;
}

static int equal(value a, value b)
{
    if (!isnan(a.num) && !isnan(b.num))
        return a.num == b.num;
    if (a.text && b.text)
        return strcmp(a.text, b.text) == 0;
    return 0;
}

static double binary(const char *op, value a, value b)
{
    double x = a.num, y = b.num;
    switch (op[0]) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '%': return fmod(x, y);
    case '^': return pow(x, y);
    case '&': return (x != 0 && !isnan(x)) && (y != 0 && !isnan(y));
    case '|': return (x != 0 && !isnan(x)) || (y != 0 && !isnan(y));
    case '=': return equal(a, b);
    case '!': return !equal(a, b);
    case '<': return op[1] == '=' ? x <= y : x < y;
    case '>': return op[1] == '=' ? x >= y : x > y;
    default: return NAN;
    }
}

static double call(const evaluator *ev, const node *nd)
{
    double a = num(ev, nd->kid[0]);
    switch (nd->fn) {
    case F_LOG: return log(a);
    case F_LOG2: return log2(a);
    case F_LOG10: return log10(a);
    case F_EXP: return exp(a);
    case F_SQRT: return sqrt(a);
    case F_ABS: return fabs(a);
    case F_FLOOR: return floor(a);
    case F_CEIL: return ceil(a);
    case F_POW: return pow(a, num(ev, nd->kid[1]));
    case F_ISNAN: return isnan(a);
    case F_IF: return a != 0 && !isnan(a) ? num(ev, nd->kid[1]) : num(ev, nd->kid[2]);
    case F_MIN:
    case F_MAX:
        for (int k = 1; k < nd->nargs; k++) {
            double b = num(ev, nd->kid[k]);
            a = nd->fn == F_MIN ? fmin(a, b) : fmax(a, b);
        }
        return a;
    }
    return NAN;
}

static value eval(const evaluator *ev, int i)
{
    const node *nd = &ev->e->nodes[i];
    value v = { NAN, NULL };
    switch (nd->kind) {
    case N_NUM:
        v.num = nd->num;
        break;
    case N_STR:
        v.text = nd->str;
        break;
    case N_COL:
        v.text = ev->cell(ev->ctx, nd->col);
        if (!v.text)
            v.text = "";
        v.num = parse_num(v.text);
        break;
    case N_NEG:
        v.num = -num(ev, nd->kid[0]);
        break;
    case N_NOT: {
        double a = num(ev, nd->kid[0]);
        v.num = isnan(a) ? NAN : a == 0;
        break;
    }
    case N_BIN:
        v.num = binary(nd->op, eval(ev, nd->kid[0]), eval(ev, nd->kid[1]));
        break;
    case N_COND: {
        double c = num(ev, nd->kid[0]);
        v = c != 0 && !isnan(c) ? eval(ev, nd->kid[1]) : eval(ev, nd->kid[2]);
        break;
    }
    case N_CALL:
        v.num = call(ev, nd);
        break;
    }
    return v;
}

double sim_expr_eval(const sim_expr *e, sim_expr_cell cell, void *ctx)
{
    evaluator ev = { e, cell, ctx };
    return eval(&ev, e->root).num;
}

#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Process-wide by nature (stderr is too); written only by log_init() at start-up. */
static struct {
    char progname[64];
    enum log_level level;
} g_log = { "", LOG_INFO };

void log_init(const char *progname, enum log_level level)
{
    const char *base = strrchr(progname, '/');
    snprintf(g_log.progname, sizeof g_log.progname, "%s", base ? base + 1 : progname);
    g_log.level = level;
}

enum log_level log_get_level(void) { return g_log.level; }

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    if (level > g_log.level)
        return;
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write per line so lines from concurrent threads/processes do not interleave. */
    fprintf(stderr, "%s%s%s: %s\n", g_log.progname, g_log.progname[0] ? ": " : "",
            names[level], line);
}

/* A growable, always NUL-terminated byte buffer. The owner calls sb_free(). */
#ifndef COMMON_STRBUF_H
#define COMMON_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *buf;   /* NULL until the first append; then NUL-terminated */
    size_t len;
    size_t cap;
} strbuf;

#define STRBUF_INIT { NULL, 0, 0 }

int  sb_reserve(strbuf *sb, size_t extra);              /* 0, or -1 on ENOMEM */
int  sb_append(strbuf *sb, const void *data, size_t n);
int  sb_puts(strbuf *sb, const char *s);
int  sb_putc(strbuf *sb, char c);
int  sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  sb_vprintf(strbuf *sb, const char *fmt, va_list ap);
void sb_reset(strbuf *sb);                               /* len = 0, keeps memory */
char *sb_detach(strbuf *sb);                             /* caller frees; sb is emptied */
void sb_free(strbuf *sb);
const char *sb_str(const strbuf *sb);                    /* "" when empty */

#endif

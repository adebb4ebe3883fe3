/* Clocks and time formats shared by the monitor and the orchestrator. */
#ifndef COMMON_TIMEUTIL_H
#define COMMON_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

double   mono_seconds(void);                 /* CLOCK_MONOTONIC, seconds */
double   wall_seconds(void);                 /* CLOCK_REALTIME, seconds since the epoch */
uint64_t mono_ns(void);
/* "2026-11-23T04:23:33.123Z" into out (at least 25 bytes); "" outside years 1..9999
 * (and for NaN). */
void     format_rfc3339_ms(double epoch_seconds, char *out, size_t outlen);
/* "20261123T042333Z" (SigV4's basic format) into out (at least 17 bytes). */
void     format_iso8601_basic(time_t t, char *out, size_t outlen);
/* Parses RFC 3339 / ISO 8601 ("2026-11-23T04:23:33Z", fractional seconds and offsets
 * allowed) into epoch seconds; returns -1 on a malformed string. */
int      parse_rfc3339(const char *s, double *epoch_seconds);
void     sleep_seconds(double s);            /* sleeps the whole time, across EINTR */

#endif

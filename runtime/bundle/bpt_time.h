/* bpt_time.h — the calendar of the bundle's values, one for every side: the compiler
 * turns `date("2026-03-05")` into a constant with it, the disassembler prints constants
 * with it, the runtime parses and prints values with it.
 *
 * A date is days since 1970-01-01, a datetime minutes since 1970-01-01T00:00, in the
 * proleptic Gregorian calendar (no time zones, no leap seconds). */
#ifndef BPT_TIME_H
#define BPT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31), and back. */
int64_t bpt_days_from_civil(int64_t y, unsigned m, unsigned d);
void bpt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* "2026-03-05" (exactly that shape, a real day of years 0001..9999); false otherwise. */
bool bpt_parse_date(const char *s, size_t len, int64_t *days);
/* "2026-03-05T10:00" (a space for the T too; hours 00..23, minutes 00..59). */
bool bpt_parse_datetime(const char *s, size_t len, int64_t *minutes);

/* "2026-03-05" and "2026-03-05T10:00", NUL-terminated and cut to size; each returns the
 * full length, as snprintf does. */
size_t bpt_format_date(int64_t days, char *buf, size_t size);
size_t bpt_format_datetime(int64_t minutes, char *buf, size_t size);

#endif

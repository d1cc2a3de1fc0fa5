/* bpt_time.c — the calendar (bpt_time.h): Howard Hinnant's days-from-civil algorithms,
 * and the text of dates and datetimes. */
#include "bpt_time.h"

#include <stdio.h>

int64_t bpt_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void bpt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return true;
}

static unsigned days_in_month(unsigned y, unsigned m) {
  static const unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : len[m - 1];
}

bool bpt_parse_date(const char *s, size_t len, int64_t *days) {
  unsigned y, m, d;
  if (len != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return false;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
  *days = bpt_days_from_civil(y, m, d);
  return true;
}

bool bpt_parse_datetime(const char *s, size_t len, int64_t *minutes) {
  unsigned h, mi;
  int64_t days;
  if (len != 16 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':') return false;
  if (!bpt_parse_date(s, 10, &days)) return false;
  if (!digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || h > 23 || mi > 59) return false;
  *minutes = days * 1440 + h * 60 + mi;
  return true;
}

size_t bpt_format_date(int64_t days, char *buf, size_t size) {
  int64_t y;
  unsigned m, d;
  bpt_civil_from_days(days, &y, &m, &d);
  return (size_t)snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
}

size_t bpt_format_datetime(int64_t minutes, char *buf, size_t size) {
  int64_t days = minutes / 1440, rest = minutes % 1440;
  if (rest < 0) days--, rest += 1440; /* rounded toward minus infinity */
  char date[32];
  bpt_format_date(days, date, sizeof date);
  return (size_t)snprintf(buf, size, "%sT%02d:%02d", date, (int)(rest / 60), (int)(rest % 60));
}

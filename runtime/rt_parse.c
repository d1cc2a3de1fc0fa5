/* rt_parse.c — text to values, for hosts that get values as text: a scenario's
 * `name=value`, a CSV cell, a form field (bp_value_parse).
 *
 * The `.bp` literal rules, with a command line's leniency: a string may be quoted
 * ("Contract 7", with the escapes of the language) or bare; a user id the same; a date
 * is 2026-03-05 or date("2026-03-05"); a list is a,b,c or ["a", "b"]. */
#include <string.h>

#include "rt.h"

/* The most items a list may have (rt_from_public's bound too). */
#define MAX_ITEMS (UINT32_MAX / 32)
/* A message quotes at most 60 bytes of the text it refuses. */
#define SHOWN(t) (int)((t).n < 60 ? (t).n : 60), (t).s

typedef struct Text {
  const char *s;
  size_t n;
} Text;

static Text trimmed(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  return (Text){s, n};
}

/* `f("...")` around t: the inside of the quotes. */
static bool unwrap_call(Text t, const char *fn, Text *inner) {
  size_t k = strlen(fn);
  if (t.n < k + 4 || memcmp(t.s, fn, k) != 0 || t.s[k] != '(' || t.s[t.n - 1] != ')') return false;
  Text arg = trimmed(t.s + k + 1, t.n - k - 2);
  if (arg.n < 2 || arg.s[0] != '"' || arg.s[arg.n - 1] != '"') return false;
  *inner = (Text){arg.s + 1, arg.n - 2};
  return true;
}

/* A quoted string's text with its escapes decoded. */
static RtCode unquote(BpRuntime *rt, Text t, uint8_t type, Value *out, RtErr *e) {
  char room[RT_BUF_ROOM];
  RtBuf b = rt_buf_on(room, sizeof room);
  for (size_t i = 1; i + 1 < t.n; i++) {
    char c = t.s[i];
    if (c == '\\' && i + 2 < t.n) {
      char d = t.s[++i];
      c = d == 'n' ? '\n' : d == 't' ? '\t' : d == 'r' ? '\r' : d;
      if (!strchr("ntr\"\\{}", d)) {
        rt_buf_free(rt, &b);
        return rt_error(e, "unknown escape `\\%c`", d);
      }
    } else if ((c == '{' || c == '}') && i + 2 < t.n && t.s[i + 1] == c) {
      i++;
    } else if (c == '"') {
      rt_buf_free(rt, &b);
      return rt_error(e, "a quote inside a string must be written \\\"");
    }
    rt_buf_put(rt, &b, &c, 1);
  }
  return rt_buf_value(rt, &b, type, out, e);
}

static RtCode parse_text(BpRuntime *rt, Text t, uint8_t type, Value *out, RtErr *e) {
  if (t.n > BP_MAX_STRING) return rt_too_long(e);
  if (t.n >= 2 && t.s[0] == '"' && t.s[t.n - 1] == '"') {
    if (unquote(rt, t, type, out, e) != RT_OK) return e->code;
  } else if (!rt_str_new(rt, t.s, t.n, type, out)) {
    return rt_nomem(e);
  }
  /* On failure *out holds nothing: a list item the caller frees with its list must not
   * be released here too. */
  if (type == BPT_T_USER && out->u.s->len == 0) {
    rt_unref(rt, *out);
    *out = (Value){0};
    return rt_error(e, "an empty user id");
  }
  if (!rt_valid_utf8(out->u.s->s, out->u.s->len)) {
    rt_unref(rt, *out);
    *out = (Value){0};
    return rt_error(e, "text that is not valid UTF-8");
  }
  return RT_OK;
}

static RtCode parse_number(Text t, uint8_t type, Value *out, RtErr *e) {
  size_t i = 0;
  bool neg = false;
  if (i < t.n && (t.s[i] == '-' || t.s[i] == '+')) neg = t.s[i++] == '-';
  uint64_t m = 0;
  unsigned scale = 0, digits = 0;
  bool dot = false;
  for (; i < t.n; i++) {
    char c = t.s[i];
    if (c == '.' && !dot && type == BPT_T_DECIMAL) {
      dot = true;
      continue;
    }
    if (c == '_' && digits) continue;
    if (c < '0' || c > '9') return rt_error(e, "`%.*s` is not %s", SHOWN(t), type == BPT_T_INT ? "an int" : "a number");
    if (m > (UINT64_MAX - 9) / 10) return rt_error(e, "`%.*s` is too large", SHOWN(t));
    m = m * 10 + (uint64_t)(c - '0');
    digits++;
    if (dot) scale++;
  }
  if (!digits) return rt_error(e, "`%.*s` is not a number", SHOWN(t));
  if (scale > 18) return rt_error(e, "`%.*s` has more than 18 fraction digits", SHOWN(t));
  if (m > (uint64_t)INT64_MAX + neg) return rt_error(e, "`%.*s` is too large", SHOWN(t));
  int64_t v = neg ? (int64_t)(0 - m) : (int64_t)m;
  *out = (Value){.type = type, .scale = (uint8_t)scale, .u.i = v};
  return RT_OK;
}

static RtCode parse_duration(Text t, Value *out, RtErr *e) {
  int64_t total = 0;
  size_t i = 0;
  if (t.n == 0) return rt_error(e, "an empty duration");
  while (i < t.n) {
    int64_t n = 0;
    size_t start = i;
    while (i < t.n && t.s[i] >= '0' && t.s[i] <= '9') {
      if (n > INT64_MAX / 10 - 1) return rt_error(e, "the duration is too long");
      n = n * 10 + (t.s[i++] - '0');
    }
    if (i == start || i == t.n) return rt_error(e, "`%.*s` is not a duration (like 3d, 4h30m, 2w)", SHOWN(t));
    int64_t unit;
    switch (t.s[i++]) {
    case 'w': unit = 604800; break;
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: return rt_error(e, "`%.*s` is not a duration (units w d h m)", SHOWN(t));
    }
    int64_t part;
    if (__builtin_mul_overflow(n, unit, &part) || __builtin_add_overflow(total, part, &total))
      return rt_error(e, "the duration is too long");
  }
  *out = (Value){.type = BPT_T_DURATION, .u.i = total};
  return RT_OK;
}

static RtCode parse_scalar(BpRuntime *rt, Text t, uint8_t type, Value *out, RtErr *e) {
  Text inner;
  switch (type) {
  case BPT_T_STRING:
  case BPT_T_USER: return parse_text(rt, t, type, out, e);
  case BPT_T_INT:
  case BPT_T_DECIMAL: return parse_number(t, type, out, e);
  case BPT_T_BOOL:
    if (t.n == 4 && memcmp(t.s, "true", 4) == 0) *out = rt_bool(true);
    else if (t.n == 5 && memcmp(t.s, "false", 5) == 0) *out = rt_bool(false);
    else return rt_error(e, "`%.*s` is not a bool (true or false)", SHOWN(t));
    return RT_OK;
  case BPT_T_DURATION: return parse_duration(t, out, e);
  case BPT_T_DATE:
  case BPT_T_DATETIME: {
    bool date = type == BPT_T_DATE;
    if (!unwrap_call(t, date ? "date" : "datetime", &inner)) inner = t;
    if (inner.n >= 2 && inner.s[0] == '"' && inner.s[inner.n - 1] == '"') inner = (Text){inner.s + 1, inner.n - 2};
    int64_t v;
    bool ok = date ? bpt_parse_date(inner.s, inner.n, &v) : bpt_parse_datetime(inner.s, inner.n, &v);
    if (!ok)
      return rt_error(e, "`%.*s` is not a %s (%s)", SHOWN(t), date ? "date" : "datetime",
                      date ? "YYYY-MM-DD" : "YYYY-MM-DDTHH:MM");
    *out = (Value){.type = type, .u.i = v};
    return RT_OK;
  }
  default: return rt_error(e, "values of type %s cannot be written as text", bpt_type_name(type));
  }
}

/* Splits a list's text at the commas that are outside quotes. */
static size_t next_item(Text t, size_t at) {
  bool quoted = false;
  for (size_t i = at; i < t.n; i++) {
    if (t.s[i] == '\\' && quoted) {
      i++;
      continue;
    }
    if (t.s[i] == '"') quoted = !quoted;
    else if (t.s[i] == ',' && !quoted) return i;
  }
  return t.n;
}

static RtCode parse_list(BpRuntime *rt, Text t, uint8_t type, Value *out, RtErr *e) {
  if (t.n >= 2 && t.s[0] == '[' && t.s[t.n - 1] == ']') t = trimmed(t.s + 1, t.n - 2);
  uint32_t n = 0;
  if (t.n)
    for (size_t at = 0;; n++) {
      at = next_item(t, at);
      if (at >= t.n) {
        n++;
        break;
      }
      at++;
    }
  if (n > MAX_ITEMS) return rt_error(e, "a list of more than %u items", (unsigned)MAX_ITEMS);
  Value raw;
  if (!rt_list_new(rt, type, n, &raw)) return rt_nomem(e);
  size_t at = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t end = next_item(t, at);
    Text item = trimmed(t.s + at, end - at);
    /* A failed item leaves its place VOID, so freeing the list frees each item once. */
    if (item.n == 0 || parse_scalar(rt, item, type & 0x7F, &raw.u.l->items[i], e) != RT_OK) {
      if (item.n == 0) {
        rt_error(e, "item %u of the list is empty", i + 1);
      } else if (e->code == RT_ERROR) {
        char why[sizeof e->msg];
        memcpy(why, e->msg, sizeof why);
        rt_error(e, "item %u of the list: %s", i + 1, why);
      }
      rt_unref(rt, raw);
      return e->code;
    }
    at = end + 1;
  }
  /* Through the public form once more: a person named twice counts once. */
  RtVec scratch = {0};
  BpValue view;
  RtCode c;
  if (!rt_view(rt, raw, &view, &scratch)) c = rt_nomem(e);
  else c = rt_from_public(rt, &view, out, e);
  rt_vec_free(rt, &scratch, sizeof(BpValue));
  rt_unref(rt, raw);
  return c;
}

BpStatus bp_value_parse(BpRuntime *rt, const char *text, size_t len, BpType public_type, BpValue *out, BpError *err) {
  uint8_t type = (uint8_t)public_type;
  if (!rt || !out || (len && !text)) return rt_fail_status(err, BP_EINVAL, "bp_value_parse: missing argument");
  *out = (BpValue){0};
  if (!bpt_type_valid(type) || type == BPT_T_VOID || rt_is_record(type) || type == BPT_T_LIST)
    return rt_fail_status(err, BP_EINVAL, "no text form for values of type %s", bpt_type_name(type));
  Text t = trimmed(text ? text : "", len);
  RtErr e = {0};
  Value v;
  RtCode c = rt_is_list(type) ? parse_list(rt, t, type, &v, &e) : parse_scalar(rt, t, type, &v, &e);
  if (c == RT_OK) {
    if (!rt_to_owned(rt, v, out)) c = rt_nomem(&e);
    rt_unref(rt, v);
  }
  if (c == RT_OK) return BP_OK;
  return rt_fail_status(err, c == RT_NOMEM ? BP_ENOMEM : BP_EINVAL, "%s", e.msg);
}

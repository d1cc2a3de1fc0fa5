/* diag.c — line tables, message collection and the caret display. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

Span span_join(Span a, Span b) {
  if (a.len == 0 && a.off == 0) return b;
  if (b.len == 0 && b.off == 0) return a;
  uint32_t lo = a.off < b.off ? a.off : b.off;
  uint32_t ha = a.off + a.len, hb = b.off + b.len;
  uint32_t hi = ha > hb ? ha : hb;
  return span_make(lo, hi - lo);
}

Source *source_new(const char *path, char *text, uint32_t len) {
  Source *s = xcalloc(1, sizeof *s);
  s->path = xstrdup(path);
  /* In place when the allocation has room already (read_file leaves it). */
  text = xrealloc(text, (size_t)len + 2);
  text[len + 1] = '\0';
  s->text = text;
  s->len = len;
  uint32_t cap = 64;
  s->line_starts = xmalloc(cap * sizeof *s->line_starts);
  s->line_starts[s->nlines++] = 0;
  /* memchr looks for the next newline many bytes at a time. */
  const char *nl = memchr(text, '\n', len);
  while (nl) {
    uint32_t start = (uint32_t)(nl - text) + 1;
    if (s->nlines == cap) {
      cap *= 2;
      s->line_starts = xrealloc(s->line_starts, cap * sizeof *s->line_starts);
    }
    s->line_starts[s->nlines++] = start;
    nl = memchr(text + start, '\n', len - start);
  }
  return s;
}

void source_free(Source *s) {
  if (!s) return;
  free((char *)s->path);
  free((char *)s->text);
  free(s->line_starts);
  free(s);
}

/* Index of the line holding off (binary search over line starts). */
static uint32_t line_index(const Source *s, uint32_t off) {
  uint32_t lo = 0, hi = s->nlines;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->line_starts[mid] <= off) lo = mid;
    else hi = mid;
  }
  return lo;
}

void source_position(const Source *s, uint32_t off, uint32_t *line, uint32_t *col) {
  if (off > s->len) off = s->len;
  uint32_t li = line_index(s, off);
  uint32_t start = s->line_starts[li];
  *line = li + 1;
  *col = (uint32_t)utf8_count(s->text + start, off - start) + 1;
}

void diags_init(Diags *d, const Source *src) {
  memset(d, 0, sizeof *d);
  d->src = src;
}

void diags_free(Diags *d) {
  for (uint32_t i = 0; i < d->n; i++) free(d->items[i].message);
  free(d->items);
  memset(d, 0, sizeof *d);
}

static void diag_add(Diags *d, DiagLevel level, Span span, const char *fmt, va_list ap) {
  if (d->max_errors && d->errors >= d->max_errors && level != DIAG_WARNING) return;
  if (level == DIAG_NOTE && (d->n == 0)) return;
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 16;
    d->items = xrealloc(d->items, d->cap * sizeof *d->items);
  }
  StrBuf b;
  sb_init(&b);
  sb_vprintf(&b, fmt, ap);
  Diag *g = &d->items[d->n];
  g->level = level;
  g->span = span;
  g->seq = d->n;
  g->message = sb_take(&b);
  g->fmt = fmt;
  d->n++;
  if (level == DIAG_ERROR) d->errors++;
  if (level == DIAG_WARNING) d->warnings++;
}

#define DIAG_FN(name, level)                                   \
  void name(Diags *d, Span span, const char *fmt, ...) {       \
    va_list ap;                                                \
    va_start(ap, fmt);                                         \
    diag_add(d, level, span, fmt, ap);                         \
    va_end(ap);                                                \
  }
DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warning, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)
#undef DIAG_FN

/* Sorting: a note keeps the position of the message it belongs to. */
typedef struct {
  uint32_t key_off, key_seq, seq;
} SortKey;

static int key_cmp(const void *pa, const void *pb) {
  const SortKey *a = pa, *b = pb;
  if (a->key_off != b->key_off) return a->key_off < b->key_off ? -1 : 1;
  if (a->key_seq != b->key_seq) return a->key_seq < b->key_seq ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* SGR sequences of GCC's default GCC_COLORS. */
#define SGR_BOLD "\033[01m"
#define SGR_CARET "\033[01;32m"
#define SGR_RESET "\033[m"
static const char *const level_sgr[] = {"\033[01;31m", "\033[01;35m", "\033[01;36m"};

static void print_source_line(const Source *s, Span span, FILE *out, bool color) {
  uint32_t line, col;
  source_position(s, span.off, &line, &col);
  uint32_t start = s->line_starts[line - 1];
  uint32_t end = start;
  while (end < s->len && s->text[end] != '\n') end++;
  uint32_t shown_end = end;
  if (shown_end > start && s->text[shown_end - 1] == '\r') shown_end--;
  /* A very long line (a minified file) is shown cut around the error. */
  uint32_t from = start;
  if (span.off - start > 160) {
    from = span.off - 60;
    while (from > start && (((unsigned char)s->text[from]) & 0xC0) == 0x80) from--;
  }
  uint32_t to = shown_end;
  if (to - from > 240) {
    to = from + 240;
    while (to > from && (((unsigned char)s->text[to]) & 0xC0) == 0x80) to--;
  }
  fprintf(out, "%5u | %s", line, from > start ? "..." : "");
  for (uint32_t i = from; i < to; i++) {
    unsigned char c = (unsigned char)s->text[i];
    fputc(c == '\0' ? ' ' : c, out);
  }
  fprintf(out, "%s\n      | %s", to < shown_end ? "..." : "", from > start ? "   " : "");
  /* Caret line: the same whitespace (tabs stay tabs) then ^~~~ under the span,
   * one mark per character, cut at the end of the shown line. */
  uint32_t i = from;
  while (i < span.off && i < to) {
    size_t k = utf8_seq_len((const unsigned char *)s->text + i, to - i);
    fputc(s->text[i] == '\t' ? '\t' : ' ', out);
    i += k ? (uint32_t)k : 1;
  }
  if (color) fputs(SGR_CARET, out);
  fputc('^', out);
  uint32_t span_end = span.off + span.len;
  if (span_end > to) span_end = to;
  if (i < to) {
    size_t k = utf8_seq_len((const unsigned char *)s->text + i, to - i);
    i += k ? (uint32_t)k : 1;
  }
  while (i < span_end) {
    size_t k = utf8_seq_len((const unsigned char *)s->text + i, span_end - i);
    fputc('~', out);
    i += k ? (uint32_t)k : 1;
  }
  if (color) fputs(SGR_RESET, out);
  fputc('\n', out);
}

uint32_t *diags_sorted(const Diags *d) {
  SortKey *keys = xmalloc((d->n ? d->n : 1) * sizeof *keys);
  uint32_t owner = 0;
  for (uint32_t i = 0; i < d->n; i++) {
    if (d->items[i].level != DIAG_NOTE) owner = i;
    keys[i].key_off = d->items[owner].span.off;
    keys[i].key_seq = owner;
    keys[i].seq = i;
  }
  qsort(keys, d->n, sizeof *keys, key_cmp);
  uint32_t *order = xmalloc((d->n ? d->n : 1) * sizeof *order);
  for (uint32_t k = 0; k < d->n; k++) order[k] = keys[k].seq;
  free(keys);
  return order;
}

void diags_print(Diags *d, FILE *out) { diags_print_color(d, out, false); }

void diags_print_color(Diags *d, FILE *out, bool color) {
  if (d->n == 0) return;
  uint32_t *order = diags_sorted(d);
  static const char *const level_name[] = {"error", "warning", "note"};
  for (uint32_t k = 0; k < d->n; k++) {
    const Diag *g = &d->items[order[k]];
    uint32_t line, col;
    source_position(d->src, g->span.off, &line, &col);
    if (color)
      fprintf(out, SGR_BOLD "%s:%u:%u:" SGR_RESET " %s%s:" SGR_RESET " %s\n", d->src->path, line,
              col, level_sgr[g->level], level_name[g->level], g->message);
    else
      fprintf(out, "%s:%u:%u: %s: %s\n", d->src->path, line, col, level_name[g->level],
              g->message);
    print_source_line(d->src, g->span, out, color);
  }
  free(order);
}

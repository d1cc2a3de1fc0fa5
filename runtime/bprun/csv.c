/* csv.c — RFC 4180 CSV for bprun mass (csv.h): scanning records, decoding cells,
 * writing cells. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "host.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void csv_buf_grow(CsvBuf *b, size_t n) {
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1) cap *= 2;
  b->s = xrealloc(b->s, cap);
  b->cap = cap;
}

void csv_buf_free(CsvBuf *b) {
  free(b->s);
  *b = (CsvBuf){0};
}

/* Eight bytes read as one word, the first byte lowest, whatever the machine's order. */
static uint64_t word_at(const char *t) {
  const unsigned char *p = (const unsigned char *)t;
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* The first I' >= I below LIMIT whose byte is at most ',' (every byte a CSV cell stops or
 * looks twice at: , " CR LF NUL), or LIMIT. Eight bytes at a time: in a word x, the
 * bytes below 0x2D are marked by bit 7 of (x - 0x2D..) & ~x & 0x80... Only such a byte
 * borrows from the next, so the lowest mark is exact (a mark above it may not be): its
 * place is the count of trailing zero bits over 8. Fewer than 8 bytes go one by one. */
static inline __attribute__((always_inline)) size_t plain_end(const char *t, size_t i, size_t limit) {
  while (limit - i >= 8) {
    uint64_t x = word_at(t + i);
    uint64_t marks = (x - ONES * 0x2D) & ~x & HIGHS;
    if (marks) return i + (size_t)__builtin_ctzll(marks) / 8;
    i += 8;
  }
  while (i < limit && (unsigned char)t[i] > ',') i++;
  return i;
}

/* quick_record's searches, 16 bytes a step with SSE2 (always there on x86-64) while 16
 * are left before LIMIT, then plain_end's. wide_plain_end stops where plain_end does (a
 * byte at most ','); quoted_stop, inside a quoted cell, only at a quote, an LF or a NUL,
 * not at every space and comma of the cell's text (or where plain_end does, without
 * SSE2 or near LIMIT: the caller looks at the byte it stopped at either way). */
static inline __attribute__((always_inline)) size_t wide_plain_end(const char *t, size_t i, size_t limit) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  for (; limit - i >= 16; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
    unsigned marks = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, comma), v)); /* v <= ',' */
    if (marks) return i + (size_t)__builtin_ctz(marks);
  }
#endif
  return plain_end(t, i, limit);
}

static inline __attribute__((always_inline)) size_t quoted_stop(const char *t, size_t i, size_t limit) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n'), nul = _mm_setzero_si128();
  for (; limit - i >= 16; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, nul));
    unsigned marks = (unsigned)_mm_movemask_epi8(hit);
    if (marks) return i + (size_t)__builtin_ctz(marks);
  }
#endif
  return plain_end(t, i, limit);
}

/* Where an unquoted cell starting at I ends: at a comma, a line end (LF, or the CR of
 * CRLF, or a CR that ends the text) or LIMIT. Sets *nul if it holds a NUL byte, and
 * *quoted if csv_put_cell would write it quoted (it holds a quote or a CR). */
static size_t unquoted_end(const char *t, size_t limit, size_t i, bool *nul, bool *quoted) {
  for (; (i = plain_end(t, i, limit)) < limit; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c == ',' || c == '\n') break;
    if (c == '\r' && (i + 1 == limit || t[i + 1] == '\n')) break;
    if (c == '\0') *nul = true;
    if (c == '"' || c == '\r') *quoted = true;
  }
  return i;
}

static bool at_cell_end(const char *t, size_t limit, size_t i) {
  return i == limit || t[i] == ',' || t[i] == '\n' || (t[i] == '\r' && (i + 1 == limit || t[i + 1] == '\n'));
}

static size_t count_lf(const char *s, size_t n) {
  size_t k = 0;
  for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))); p++) k++;
  return k;
}

/* Where a malformed record went wrong. */
typedef struct Trouble {
  const char *error;
  size_t cell;      /* 0-based */
  size_t multiline; /* the first cell that ran over a line end, +1 (0: none) */
} Trouble;

/* A cell decoded into out->text, from AT: its pointer is set once the record is done
 * (the buffer may move as it grows). */
static CsvCell decoded(const CsvCells *out, size_t at) { return (CsvCell){NULL, out->text.len - at, at, NULL, 0}; }

static void add_cell(CsvCells *out, CsvCell c) {
  if (out->n == out->cap) out->cell = xrealloc(out->cell, (out->cap = out->cap ? 2 * out->cap : 16) * sizeof *out->cell);
  out->cell[out->n++] = c;
}

/* The quoted cell whose opening quote is at T[I - 1]: appends its cell to OUT (when
 * given) and returns where it ends after its closing quote, or LIMIT with *open when
 * the quote is never closed. Most cells are taken where they stand; only one with a
 * doubled quote is decoded into out->text. Counts line ends into *newlines, and notes
 * the first cell that runs over one. */
static size_t quoted_cell(const char *t, size_t limit, size_t i, size_t cell, Trouble *trouble, size_t *newlines,
                          CsvCells *out, bool *open) {
  size_t first = i, at = out ? out->text.len : 0;
  bool copied = false;
  for (;;) {
    const char *q = memchr(t + i, '"', limit - i);
    size_t k = q ? (size_t)(q - t) : limit;
    size_t lf = count_lf(t + i, k - i);
    if (lf && !trouble->multiline) trouble->multiline = cell + 1;
    *newlines += lf;
    if (!q) {
      *open = true;
      if (out) out->text.len = at;
      return k;
    }
    if (k + 1 < limit && t[k + 1] == '"') { /* "" is one quote: the cell needs decoding */
      if (out) {
        csv_buf_put(&out->text, t + (copied ? i : first), k + 1 - (copied ? i : first));
        copied = true;
      }
      i = k + 2;
      continue;
    }
    if (out) {
      if (copied) csv_buf_put(&out->text, t + i, k - i);
      CsvCell c = copied ? decoded(out, at) : (CsvCell){t + first, k - first, 0, NULL, 0};
      /* With a quote in it, csv_put_cell writes the cell quoted, each quote doubled:
       * exactly as it stands here, its quotes and all. (One without a quote may be
       * quoted only because its writer quoted everything.) */
      if (copied) c.written = t + first - 1, c.written_len = k + 2 - first;
      add_cell(out, c);
    }
    return k + 1;
  }
}

/* The cells of the record at POS, up to LIMIT: returns where the record's last cell
 * ends (its line end, or LIMIT). Unless LENIENT, stops at the first thing that cannot be
 * read, saying what in *trouble; when lenient, such a cell is kept as it is written.
 * *newlines counts the line ends inside quoted cells; OUT, when given, receives the
 * cells: pointing into T where they stand, or into out->text when decoded. */
static size_t scan_cells(const char *t, size_t limit, size_t pos, bool lenient, Trouble *trouble,
                         size_t *newlines, CsvCells *out) {
  size_t i = pos;
  for (size_t cell = 0;; cell++) {
    size_t start = i;
    if (!lenient && cell == CSV_MAX_CELLS) {
      *trouble = (Trouble){"more cells than " CSV_MAX_CELLS_TEXT, cell, 0};
      return i;
    }
    bool nul = false;
    if (i < limit && t[i] == '"') {
      size_t n = out ? out->n : 0, at = out ? out->text.len : 0;
      bool open = false;
      i = quoted_cell(t, limit, i + 1, cell, trouble, newlines, out, &open);
      if (open && !lenient) {
        *trouble = (Trouble){"a quote is never closed", trouble->multiline ? trouble->multiline - 1 : cell, 0};
        return i;
      }
      if (open || !at_cell_end(t, limit, i)) {
        if (!lenient) {
          if (trouble->multiline) *trouble = (Trouble){"a quote is not closed on its line", trouble->multiline - 1, 0};
          else *trouble = (Trouble){"text after the closing quote", cell, 0};
          return i;
        }
        /* Text that cannot be read: the cell as it is written. */
        bool quoted = false;
        size_t e = open ? i : unquoted_end(t, limit, i, &nul, &quoted);
        if (out) {
          out->n = n;
          out->text.len = at;
          add_cell(out, (CsvCell){t + start, e - start, 0, NULL, 0});
        }
        i = e;
      }
      if (!lenient && memchr(t + start, '\0', i - start)) nul = true;
    } else {
      bool quoted = false;
      size_t e = unquoted_end(t, limit, i, &nul, &quoted);
      if (out) add_cell(out, (CsvCell){t + i, e - i, 0, quoted ? NULL : t + i, e - i}); /* written bare */
      i = e;
    }
    /* A NUL would cut the text short wherever it is used as a C string. */
    if (!lenient && nul) {
      *trouble = (Trouble){"a NUL byte (CSV files are text)", cell, 0};
      return i;
    }
    if (i < limit && t[i] == ',') {
      i++;
      continue;
    }
    return i;
  }
}

/* The decoded cells pointed into out->text, now that it stays where it is. */
static void place_decoded(CsvCells *out) {
  for (size_t i = 0; i < out->n; i++)
    if (!out->cell[i].s) out->cell[i].s = out->text.s + out->cell[i].at;
}

/* The line end at I (LF, CRLF, a CR ending the text, or none at LEN): sets where the
 * next record starts. */
static void line_end(const char *t, size_t len, size_t i, CsvRecord *rec) {
  rec->end = i;
  rec->crlf = i < len && t[i] == '\r';
  rec->next = i + (i < len) + (rec->crlf && i + 1 < len);
}

/* The record at POS, scanned strictly (its cells into OUT when given). */
static void scan_record(const char *text, size_t len, size_t pos, int line, CsvRecord *rec, CsvCells *out) {
  Trouble trouble = {0};
  size_t newlines = 0;
  size_t e = scan_cells(text, len, pos, false, &trouble, &newlines, out);
  if (!trouble.error && e - pos > CSV_MAX_RECORD) trouble = (Trouble){"a record longer than " CSV_MAX_RECORD_TEXT, 0, 0};
  rec->start = pos;
  rec->line = line;
  rec->error = trouble.error;
  rec->error_cell = trouble.cell;
  if (trouble.error) {
    /* Cut at the end of the first line: the rest of the file is read afresh. */
    const char *lf = memchr(text + pos, '\n', len - pos);
    size_t eol = lf ? (size_t)(lf - text) : len;
    if (eol > pos && text[eol - 1] == '\r') eol--;
    line_end(text, len, eol, rec);
    rec->next_line = line + 1;
    return;
  }
  line_end(text, len, e, rec);
  rec->next_line = line + (int)newlines + (e < len);
}

void csv_scan(const char *text, size_t len, size_t pos, int line, CsvRecord *rec) {
  scan_record(text, len, pos, line, rec, NULL);
}

void csv_cells(const char *text, const CsvRecord *rec, CsvCells *out) {
  out->n = 0;
  out->text.len = 0;
  Trouble trouble = {0};
  size_t newlines = 0;
  scan_cells(text, rec->end, rec->start, true, &trouble, &newlines, out);
  place_decoded(out);
}

/* The next cell of OUT, with room made for it. */
static CsvCell *next_cell(CsvCells *out) {
  if (out->n == out->cap) out->cell = xrealloc(out->cell, (out->cap = out->cap ? 2 * out->cap : 16) * sizeof *out->cell);
  return &out->cell[out->n++];
}

/* The usual record, in one pass over its bytes: unquoted cells without a quote, a CR or a
 * NUL; quoted cells on one line without a NUL, closed just before a comma, an LF or the
 * end of the text; one line in all. Gives the record and cells scan_record gives it (and
 * true), or false for anything else, which scan_record then reads from the start: a CR
 * (CRLF, or one inside an unquoted cell), a quote inside an unquoted cell, a quoted cell
 * over a line end or not closed, text after a closing quote, a NUL, the limits. */
static bool quick_record(const char *t, size_t len, size_t pos, int line, CsvRecord *rec, CsvCells *out) {
  size_t i = pos;
  for (size_t cell = 0;; cell++) {
    if (cell == CSV_MAX_CELLS) return false;
    if (i < len && t[i] == '"') {
      size_t first = i + 1, from = first, at = out->text.len; /* from: the bytes not yet copied (once decoding) */
      bool copied = false;
      for (i = first;; i++) {
        i = quoted_stop(t, i, len);
        if (i == len) return false; /* never closed */
        char c = t[i];
        if (c == '\n' || c == '\0') return false;
        if (c != '"') continue;
        if (i + 1 < len && t[i + 1] == '"') { /* "" is one quote: the cell is decoded into out->text */
          csv_buf_put(&out->text, t + from, i + 1 - from);
          copied = true;
          from = ++i + 1;
          continue;
        }
        break; /* the closing quote */
      }
      CsvCell *c = next_cell(out);
      if (copied) {
        csv_buf_put(&out->text, t + from, i - from);
        *c = decoded(out, at);
        c->written = t + first - 1; /* as quoted_cell: quoted, its quotes doubled, as it stands */
        c->written_len = i + 2 - first;
      } else {
        *c = (CsvCell){t + first, i - first, 0, NULL, 0};
      }
      i++;
      if (i < len && t[i] != ',' && t[i] != '\n') return false; /* text after it, or a CR */
    } else {
      size_t start = i;
      for (;; i++) {
        i = wide_plain_end(t, i, len);
        if (i == len) break;
        char c = t[i];
        if (c == ',' || c == '\n') break;
        if (c == '"' || c == '\r' || c == '\0') return false;
      }
      *next_cell(out) = (CsvCell){t + start, i - start, 0, t + start, i - start}; /* written bare */
    }
    if (i < len && t[i] == ',') {
      i++;
      continue;
    }
    break; /* at the LF or the end of the text */
  }
  if (i - pos > CSV_MAX_RECORD) return false;
  rec->start = pos;
  rec->line = line;
  rec->error = NULL;
  rec->error_cell = 0;
  line_end(t, len, i, rec);
  rec->next_line = line + (i < len);
  place_decoded(out);
  return true;
}

/* csv_read's record that quick_record does not take, read by scan_record. Cold and not
 * inlined: the few CRLF files and odd records pay a call, and the usual record's code
 * stays short (fewer of its cache lines for the instruction cache to hold). */
static __attribute__((cold, noinline)) void read_slowly(const char *text, size_t len, size_t pos, int line,
                                                       CsvRecord *rec, CsvCells *out);

void csv_read(const char *text, size_t len, size_t pos, int line, CsvRecord *rec, CsvCells *out) {
  out->n = 0;
  out->text.len = 0;
  if (!quick_record(text, len, pos, line, rec, out)) read_slowly(text, len, pos, line, rec, out);
}

static void read_slowly(const char *text, size_t len, size_t pos, int line, CsvRecord *rec, CsvCells *out) {
  out->n = 0;
  out->text.len = 0;
  scan_record(text, len, pos, line, rec, out);
  if (rec->error) { /* cut short: its cells again, as csv_cells splits it */
    csv_cells(text, rec, out);
    return;
  }
  /* csv_cells reads up to the record's end, where a CR just before the line end ends
   * the last cell (the strict scan, reading on, took it as part of the cell). */
  CsvCell *last = &out->cell[out->n - 1];
  if (last->s && last->len && last->s + last->len == text + rec->end && last->s[last->len - 1] == '\r') {
    last->len--;
    last->written = NULL; /* (it held a CR: not bare) */
  }
  place_decoded(out);
}

void csv_cells_free(CsvCells *c) {
  free(c->cell);
  csv_buf_free(&c->text);
  *c = (CsvCells){0};
}

/* Whether a cell holding C is written quoted; one comparison for most bytes. */
static bool needs_quote(char c) {
  unsigned char u = (unsigned char)c;
  return u <= ',' && (u == ',' || u == '"' || u == '\r' || u == '\n');
}

void csv_put_cell(CsvBuf *b, const char *s, size_t n) {
  size_t i = 0;
  while ((i = plain_end(s, i, n)) < n && !needs_quote(s[i])) i++;
  if (i == n) {
    csv_buf_put(b, s, n);
    return;
  }
  /* Quoted, each quote doubled: room for the longest it can be (every byte a quote)
   * made once, then the pieces between quotes copied in. */
  if (b->len + 2 * n + 3 > b->cap) csv_buf_grow(b, 2 * n + 2);
  char *o = b->s + b->len;
  *o++ = '"';
  for (i = 0; i < n;) {
    const char *q = memchr(s + i, '"', n - i);
    size_t k = q ? (size_t)(q - s) + 1 : n; /* up to and with the quote */
    memcpy(o, s + i, k - i);
    o += k - i;
    if (q) *o++ = '"';
    i = k;
  }
  *o++ = '"';
  *o = '\0';
  b->len = (size_t)(o - b->s);
}

size_t csv_line_ends(const char *s, size_t n) {
  size_t k = 0, i = 0;
  for (; n - i >= 8; i += 8) { /* a byte of x ^ LF..  is 0 exactly where an LF is */
    uint64_t z = word_at(s + i) ^ ONES * '\n';
    uint64_t zero = ~(((z & ~HIGHS) + ~HIGHS) | z) & HIGHS;
    k += (size_t)(((zero >> 7) * ONES) >> 56);
  }
  for (; i < n; i++) k += s[i] == '\n';
  return k;
}

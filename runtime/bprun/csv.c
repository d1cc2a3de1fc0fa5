/* csv.c — RFC 4180 CSV for bprun mass (csv.h): scanning records, decoding cells,
 * writing cells. */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "host.h"

void csv_buf_put(CsvBuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->s = xrealloc(b->s, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void csv_buf_free(CsvBuf *b) {
  free(b->s);
  *b = (CsvBuf){0};
}

/* Where an unquoted cell starting at I ends: at a comma, a line end (LF, or the CR of
 * CRLF, or a CR that ends the text) or LIMIT. */
static size_t unquoted_end(const char *t, size_t limit, size_t i) {
  for (; i < limit; i++) {
    char c = t[i];
    if (c == ',' || c == '\n') break;
    if (c == '\r' && (i + 1 == limit || t[i + 1] == '\n')) break;
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

static void put(CsvCells *out, const char *s, size_t n) {
  if (out) csv_buf_put(&out->text, s, n);
}

/* Where a malformed record went wrong. */
typedef struct Trouble {
  const char *error;
  size_t cell;      /* 0-based */
  size_t multiline; /* the first cell that ran over a line end, +1 (0: none) */
} Trouble;

/* Text that cannot be read: the cell as it is written, from START to END. */
static void keep_raw(CsvCells *out, size_t at, const char *t, size_t start, size_t end) {
  if (!out) return;
  out->text.len = at;
  csv_buf_put(&out->text, t + start, end - start);
}

/* The cells of the record at POS, up to LIMIT: returns where the record's last cell
 * ends (its line end, or LIMIT). Unless LENIENT, stops at the first thing that cannot be
 * read, saying what in *trouble; when lenient, such a cell is kept as it is written.
 * *newlines counts the line ends inside quoted cells; OUT, when given, receives the
 * cells decoded. */
static size_t scan_cells(const char *t, size_t limit, size_t pos, bool lenient, Trouble *trouble,
                         size_t *newlines, CsvCells *out) {
  size_t i = pos;
  for (size_t cell = 0;; cell++) {
    size_t at = out ? out->text.len : 0, start = i;
    if (!lenient && cell == CSV_MAX_CELLS) {
      *trouble = (Trouble){"more cells than " CSV_MAX_CELLS_TEXT, cell, 0};
      return i;
    }
    if (i < limit && t[i] == '"') {
      i++;
      for (;;) {
        const char *q = memchr(t + i, '"', limit - i);
        size_t k = q ? (size_t)(q - t) : limit;
        put(out, t + i, k - i);
        size_t lf = count_lf(t + i, k - i);
        if (lf && !trouble->multiline) trouble->multiline = cell + 1;
        *newlines += lf;
        if (!q) {
          if (!lenient) {
            *trouble = (Trouble){"a quote is never closed", trouble->multiline ? trouble->multiline - 1 : cell, 0};
            return k;
          }
          keep_raw(out, at, t, start, k);
          i = k;
          break;
        }
        if (k + 1 < limit && t[k + 1] == '"') {
          put(out, "\"", 1);
          i = k + 2;
          continue;
        }
        i = k + 1;
        break;
      }
      if (!at_cell_end(t, limit, i)) {
        if (!lenient) {
          if (trouble->multiline) *trouble = (Trouble){"a quote is not closed on its line", trouble->multiline - 1, 0};
          else *trouble = (Trouble){"text after the closing quote", cell, 0};
          return i;
        }
        size_t e = unquoted_end(t, limit, i);
        keep_raw(out, at, t, start, e);
        i = e;
      }
    } else {
      size_t e = unquoted_end(t, limit, i);
      put(out, t + i, e - i);
      i = e;
    }
    /* A NUL would cut the text short wherever it is used as a C string. */
    if (!lenient && memchr(t + start, '\0', i - start)) {
      *trouble = (Trouble){"a NUL byte (CSV files are text)", cell, 0};
      return i;
    }
    if (out) {
      if (out->n == out->cap) out->cell = xrealloc(out->cell, (out->cap = out->cap ? 2 * out->cap : 16) * sizeof *out->cell);
      out->cell[out->n++] = (CsvCell){out->text.s + at, out->text.len - at};
    }
    if (i < limit && t[i] == ',') {
      i++;
      continue;
    }
    return i;
  }
}

/* The line end at I (LF, CRLF, a CR ending the text, or none at LEN): sets where the
 * next record starts. */
static void line_end(const char *t, size_t len, size_t i, CsvRecord *rec) {
  rec->end = i;
  rec->crlf = i < len && t[i] == '\r';
  rec->next = i + (i < len) + (rec->crlf && i + 1 < len);
}

void csv_scan(const char *text, size_t len, size_t pos, int line, CsvRecord *rec) {
  Trouble trouble = {0};
  size_t newlines = 0;
  size_t e = scan_cells(text, len, pos, false, &trouble, &newlines, NULL);
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

void csv_cells(const char *text, const CsvRecord *rec, CsvCells *out) {
  out->n = 0;
  out->text.len = 0;
  /* Decoded cells are never longer than the record: room for all of it first, so the
   * cells' pointers stay where they are. */
  size_t need = rec->end - rec->start + 1;
  if (out->text.cap < need) {
    out->text.s = xrealloc(out->text.s, need);
    out->text.cap = need;
  }
  Trouble trouble = {0};
  size_t newlines = 0;
  scan_cells(text, rec->end, rec->start, true, &trouble, &newlines, out);
}

void csv_cells_free(CsvCells *c) {
  free(c->cell);
  csv_buf_free(&c->text);
  *c = (CsvCells){0};
}

void csv_put_cell(CsvBuf *b, const char *s, size_t n) {
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (!quote) {
    csv_buf_put(b, s, n);
    return;
  }
  csv_buf_put(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    const char *q = memchr(s + i, '"', n - i);
    size_t k = q ? (size_t)(q - s) : n;
    csv_buf_put(b, s + i, k - i);
    if (q) csv_buf_put(b, "\"\"", 2);
    i = k + (q != NULL);
  }
  csv_buf_put(b, "\"", 1);
}

/* csv.h — RFC 4180 CSV for bprun mass: records scanned in a file held in memory, their
 * cells decoded, and cells written with the quoting a reader needs.
 *
 * Reading: cells are separated by commas, records end with LF or CRLF; a cell that
 * starts with a quote runs to the next lone quote, `""` inside it is one quote, and it
 * may hold commas and line ends. A quote inside an unquoted cell is taken as it is. A
 * record that cannot be read (a quote never closed, text after a closing quote, a NUL
 * byte, more than the limits below) is cut
 * at the end of its first line, so one bad line does not swallow the rest of the file. */
#ifndef BPRUN_CSV_H
#define BPRUN_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A growing byte buffer (xrealloc: running out of memory ends bprun). */
typedef struct CsvBuf {
  char *s;
  size_t len, cap;
} CsvBuf;

/* Room for N more bytes and the NUL after them. */
void csv_buf_grow(CsvBuf *b, size_t n);
/* Appends N bytes of S (kept NUL-terminated). Inline: it runs for every cell written. */
static inline void csv_buf_put(CsvBuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) csv_buf_grow(b, n);
  if (n) memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}
void csv_buf_free(CsvBuf *b);

/* One record: its place in the text and what is known of its shape. */
typedef struct CsvRecord {
  size_t start, end;  /* its bytes, without the line end */
  size_t next;        /* where the next record starts */
  int line;           /* the line it starts on (1-based) */
  int next_line;      /* the line the next record starts on */
  bool crlf;          /* it ended with CRLF */
  const char *error;  /* NULL, or why it cannot be read (it is then one line long) ... */
  size_t error_cell;  /* ... and in which cell (0-based) */
} CsvRecord;

/* Limits: a record of more bytes or cells is refused as one that cannot be read
 * (rather than taken in part). */
#define CSV_MAX_RECORD (1024 * 1024)
#define CSV_MAX_RECORD_TEXT "1 MiB"
#define CSV_MAX_CELLS 10000
#define CSV_MAX_CELLS_TEXT "10000"

/* The record of TEXT[0, LEN) starting at POS (< LEN) on LINE. A NUL byte in a cell, a
 * record over CSV_MAX_RECORD bytes or CSV_MAX_CELLS cells is an error too. */
void csv_scan(const char *text, size_t len, size_t pos, int line, CsvRecord *rec);

/* A record's cells, decoded. A malformed record is split as well as it can be, and a
 * cell that cannot be read is kept as it is written (quotes and all; a quote never
 * closed runs to the end of the line). A cell points into the text where it stands
 * (most do: unquoted, or quoted without a doubled quote), or into `text` when it had
 * to be decoded. The cells stay valid while the text does, until the next csv_cells or
 * csv_read on the same CsvCells. */
typedef struct CsvCell {
  const char *s;
  size_t len;
  size_t at; /* (while the record is read: where a decoded cell starts in `text`) */
  /* csv_read: the cell as it is written in the text when that is exactly what
   * csv_put_cell(s, len) writes (a bare cell, or a quoted one with a quote in it), so a
   * cell written back unchanged can be copied as it stands; NULL otherwise. */
  const char *written;
  size_t written_len;
} CsvCell;
typedef struct CsvCells {
  CsvCell *cell;
  size_t n, cap;
  CsvBuf text; /* the decoded cells' bytes */
} CsvCells;

void csv_cells(const char *text, const CsvRecord *rec, CsvCells *out);
/* csv_scan and csv_cells of the record at POS in one pass (a malformed record's cells
 * are read again as csv_cells reads them): the same record and cells. */
void csv_read(const char *text, size_t len, size_t pos, int line, CsvRecord *rec, CsvCells *out);
void csv_cells_free(CsvCells *c);

/* Appends S as one cell: quoted (with "" for a quote) when it holds a comma, a quote or
 * a line end, as it is otherwise. */
void csv_put_cell(CsvBuf *b, const char *s, size_t n);
/* How many LF bytes s[0..n) holds (eight bytes at a time). */
size_t csv_line_ends(const char *s, size_t n);

#endif

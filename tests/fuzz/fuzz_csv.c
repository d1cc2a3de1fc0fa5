/* fuzz_csv — bprun's CSV reader (runtime/bprun/csv.c).
 *
 * Properties: every record of any text is scanned in bounds and the scan moves on;
 * a record that reads cleanly, its cells written back with csv_put_cell, reads again
 * to the same cells (what `bprun mass` writes, it can read); csv_read, the one pass
 * bprun mass makes, gives the same record and cells as csv_scan and csv_cells; a cell
 * that says how it is written (CsvCell.written) is written so by csv_put_cell. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why) {
  fprintf(stderr, "fuzz_csv: %s\n", why);
  abort();
}

/* The cells written back as one record, read again: the same cells. */
static void roundtrip(const CsvCells *cells) {
  CsvBuf line = {0};
  for (size_t i = 0; i < cells->n; i++) {
    if (i) csv_buf_put(&line, ",", 1);
    csv_put_cell(&line, cells->cell[i].s, cells->cell[i].len);
  }
  csv_buf_put(&line, "\n", 1);
  CsvRecord rec;
  csv_scan(line.s, line.len, 0, 1, &rec);
  if (rec.error) fail("a record written by csv_put_cell does not read");
  if (rec.next != line.len) fail("a record written by csv_put_cell reads as more than one");
  CsvCells again = {0};
  csv_cells(line.s, &rec, &again);
  if (again.n != cells->n) fail("a record written back reads to another number of cells");
  for (size_t i = 0; i < cells->n; i++)
    if (again.cell[i].len != cells->cell[i].len || memcmp(again.cell[i].s, cells->cell[i].s, cells->cell[i].len) != 0)
      fail("a cell written back reads differently");
  csv_cells_free(&again);
  csv_buf_free(&line);
}

/* Whether a cell lies in the text or in the decoded bytes. */
static bool in_bounds(const CsvCell *c, const char *text, size_t size, const CsvCells *cells) {
  if (c->s >= text && c->s + c->len <= text + size) return true;
  return cells->text.s && c->s >= cells->text.s && c->s + c->len <= cells->text.s + cells->text.len;
}

/* A cell's written form, when it gives one: in the text, and what csv_put_cell writes. */
static void written_as_put(const CsvCells *cells, const char *text, size_t size) {
  for (size_t i = 0; i < cells->n; i++) {
    const CsvCell *c = &cells->cell[i];
    if (!c->written) continue;
    if (c->written < text || c->written + c->written_len > text + size) fail("a cell's written form out of bounds");
    CsvBuf put = {0};
    csv_put_cell(&put, c->s, c->len);
    if (put.len != c->written_len || (put.len && memcmp(put.s, c->written, put.len) != 0))
      fail("csv_put_cell writes a cell otherwise than its written form");
    csv_buf_free(&put);
  }
}

static bool same_record(const CsvRecord *a, const CsvRecord *b) {
  return a->start == b->start && a->end == b->end && a->next == b->next && a->line == b->line &&
         a->next_line == b->next_line && a->crlf == b->crlf && a->error == b->error &&
         (!a->error || a->error_cell == b->error_cell);
}

static void same_cells(const CsvCells *a, const CsvCells *b) {
  if (a->n != b->n) fail("csv_read gives another number of cells than csv_cells");
  for (size_t i = 0; i < a->n; i++)
    if (a->cell[i].len != b->cell[i].len || memcmp(a->cell[i].s, b->cell[i].s, a->cell[i].len) != 0)
      fail("csv_read gives another cell than csv_cells");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  CsvCells cells = {0}, read = {0};
  size_t pos = 0;
  int line = 1;
  while (pos < size) {
    CsvRecord rec;
    csv_scan(text, size, pos, line, &rec);
    if (rec.start != pos || rec.end < rec.start || rec.end > size) fail("a record out of bounds");
    if (rec.next <= pos || rec.next > size) fail("the scan does not move on");
    if (rec.next_line < line) fail("the line number goes back");
    csv_cells(text, &rec, &cells);
    if (cells.n == 0) fail("a record with no cells");
    for (size_t i = 0; i < cells.n; i++)
      if (!in_bounds(&cells.cell[i], text, size, &cells)) fail("a cell out of bounds");
    CsvRecord again;
    csv_read(text, size, pos, line, &again, &read);
    if (!same_record(&rec, &again)) fail("csv_read gives another record than csv_scan");
    for (size_t i = 0; i < read.n; i++)
      if (!in_bounds(&read.cell[i], text, size, &read)) fail("a cell of csv_read out of bounds");
    same_cells(&cells, &read);
    written_as_put(&read, text, size);
    written_as_put(&cells, text, size);
    if (!rec.error) roundtrip(&cells);
    pos = rec.next;
    line = rec.next_line;
  }
  csv_cells_free(&cells);
  csv_cells_free(&read);
  return 0;
}

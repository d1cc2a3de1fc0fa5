/* fuzz_csv — bprun's CSV reader (runtime/bprun/csv.c).
 *
 * Properties: every record of any text is scanned in bounds and the scan moves on;
 * a record that reads cleanly, its cells written back with csv_put_cell, reads again
 * to the same cells (what `bprun mass` writes, it can read). */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  CsvCells cells = {0};
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
    for (size_t i = 0; i < cells.n; i++) {
      const char *s = cells.cell[i].s;
      if (s < cells.text.s || s + cells.cell[i].len > cells.text.s + cells.text.len) fail("a cell out of bounds");
    }
    if (!rec.error) roundtrip(&cells);
    pos = rec.next;
    line = rec.next_line;
  }
  csv_cells_free(&cells);
  return 0;
}

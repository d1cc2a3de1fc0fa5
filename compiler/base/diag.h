/* diag.h — source files and diagnostics.
 *
 * Positions inside the compiler are byte ranges (Span) into one Source; they
 * become line:column only when a message is printed. Columns are 1-based and
 * counted in characters (UTF-8 code points), so a caret lines up under
 * Cyrillic text in a terminal.
 *
 * Messages are collected, then printed sorted by position, in GNU order:
 *
 *   file.bp:3:5: error: unknown name `titel`; did you mean `title`?
 *       3 |   notify author "{titel}"
 *         |                   ^~~~~
 */
#ifndef BPC_DIAG_H
#define BPC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Span {
  uint32_t off, len; /* bytes [off, off+len) of the source text */
} Span;

static inline Span span_make(uint32_t off, uint32_t len) {
  Span s = {off, len};
  return s;
}
/* The smallest span covering both. */
Span span_join(Span a, Span b);

typedef struct Source {
  const char *path; /* as the user named it */
  /* NUL-terminated, and a second NUL after that one: the scanner reads the
   * text in place (see lex_scanner_open). May hold NUL bytes before len. */
  const char *text;
  uint32_t len;
  uint32_t *line_starts; /* byte offset where each line begins */
  uint32_t nlines;
} Source;

/* Takes ownership of text (malloc'd, len bytes plus a NUL); may move it to
 * make room for the second NUL. */
Source *source_new(const char *path, char *text, uint32_t len);
void source_free(Source *s);
/* 1-based line and character column of a byte offset. */
void source_position(const Source *s, uint32_t off, uint32_t *line, uint32_t *col);

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
  DiagLevel level;
  Span span;
  uint32_t seq; /* discovery order: keeps a note after its error */
  char *message;
  const char *fmt; /* the format it was made from: names its kind (diag_code.h) */
} Diag;

typedef struct Diags {
  const Source *src;
  Diag *items;
  uint32_t n, cap;
  uint32_t errors, warnings;
  uint32_t max_errors; /* stop collecting after this many errors (0: no limit) */
} Diags;

void diags_init(Diags *d, const Source *src);
void diags_free(Diags *d);
void diag_error(Diags *d, Span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A note attaches to the message reported just before it. */
void diag_note(Diags *d, Span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints every message sorted by position (a note stays after its message). */
void diags_print(Diags *d, FILE *out);
/* The same, coloured as GCC colours its messages when color is true (error red,
 * warning magenta, note cyan, the caret green, the position bold). */
void diags_print_color(Diags *d, FILE *out, bool color);
/* The order diags_print shows the messages in: n indices into d->items (malloc'd). */
uint32_t *diags_sorted(const Diags *d);

#endif

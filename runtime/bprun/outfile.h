/* outfile.h — bprun's output files (mass --out/--journal), written whole or not
 * at all: a regular file through a temporary file renamed over it, a symbolic
 * link's final target replaced the same way (the link stays), a device, a FIFO
 * or a descriptor name (/dev/stdout) written in place, never replaced.
 *
 * The same rules as the compiler's out.h; bprun sees no compiler header (its
 * room sees only bp.h), so it has this small copy with fixed buffers, which a
 * signal handler can read. */
#ifndef BPRUN_OUTFILE_H
#define BPRUN_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

enum { OUTFILE_PATH_MAX = 4096 };

typedef struct OutFile {
  FILE *f;                          /* where to write; NULL after commit or abort */
  char target[OUTFILE_PATH_MAX];    /* the file that gets the bytes */
  char tmp[OUTFILE_PATH_MAX];       /* renamed over target at commit; "" when in place */
} OutFile;

/* false with errno set when path cannot be opened for writing. */
bool outfile_open(OutFile *o, const char *path);
/* Closes and puts the file in place; false with errno set (and the temporary
 * file removed) when that fails. */
bool outfile_commit(OutFile *o);
/* Closes and removes the temporary file; keeps errno. */
void outfile_abort(OutFile *o);

#endif

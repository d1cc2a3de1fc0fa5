/* out.h — writing a tool's output file (-o FILE, fmt -w) so that a reader never
 * sees half of it and nothing but FILE's content is changed.
 *
 *   - a regular file (or a name that does not exist yet) is written to a
 *     temporary file beside it and renamed over it when complete: a failed or
 *     interrupted write leaves the old file as it was and no partial file;
 *   - a symbolic link is followed to its final target, and the target is
 *     replaced that way: the link stays a link;
 *   - a device, a FIFO, a socket or a descriptor name (/dev/stdout,
 *     /dev/fd/N, /proc/self/fd/N) is written in place: it is not ours to
 *     replace (`-o /dev/null` run as root must not turn /dev/null into a file).
 *
 * out_open, then write to o.f, then out_commit (or out_abort after a failure
 * of the caller's own). Each call reports failure with errno set. If the program
 * ends in between (exit, as out_of_memory does, or SIGINT, SIGTERM, SIGHUP,
 * SIGPIPE left at their default), the temporary file is removed: one output
 * file open at a time. */
#ifndef BPC_OUT_H
#define BPC_OUT_H

#include <stdbool.h>
#include <stdio.h>

typedef struct OutFile {
  FILE *f;      /* where to write; NULL after commit or abort */
  char *target; /* the file that gets the bytes: the path, or its link's target */
  char *tmp;    /* the temporary file renamed over target; NULL when in place */
} OutFile;

/* Opens path for writing; false (errno set) when it cannot be. */
bool out_open(OutFile *o, const char *path);
/* out_open for a file replaced through a temporary file only: false with errno 0 and
 * nothing open when path would be written in place (a device, a FIFO, a descriptor),
 * so that a caller can write the temporary file before it knows whether it will keep it. */
bool out_open_temporary(OutFile *o, const char *path);
/* Flushes, closes and puts the file in place; false (errno set, nothing
 * left behind) when any of that fails. */
bool out_commit(OutFile *o);
/* Closes and removes the temporary file; the target keeps its old content
 * (a special file has whatever was written). Keeps errno. */
void out_abort(OutFile *o);
/* out_open, one write, out_commit; false with errno set. */
bool out_write_file(const char *path, const void *bytes, size_t len);

#endif

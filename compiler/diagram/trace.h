/* trace.h — an instance's journal, read and laid over a diagram.
 *
 * The journal is the reference host's text log, one entry a line, five
 * fields separated by tabs:
 *
 *   TIME <TAB> #INSTANCE <TAB> PROCESS <TAB> NODE_ID <TAB> TEXT
 *   2026-03-01T09:00	#1	simple_vote	approve_9	opened: Vote on Contract 7 for bob
 *
 * TIME is YYYY-MM-DDTHH:MM (seconds allowed), NODE_ID the `id` of a graph
 * node or `-` when the entry belongs to none; TEXT is free (tabs included).
 * Lines starting with "# " are comments; blank lines are ignored. */
#ifndef BPC_TRACE_H
#define BPC_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diagram.h"
#include "util.h"

typedef struct TraceEntry {
  uint32_t line;       /* in the journal file */
  uint64_t instance;
  const char *time, *process, *node, *text; /* node: NULL for `-` */
} TraceEntry;

typedef struct Journal {
  Arena arena;
  const char *path;
  TraceEntry *entries;
  uint32_t n, cap;
} Journal;

/* Parses journal text (len bytes; NULs are errors). Every malformed line is
 * reported on err as PATH:LINE: error: ...; returns NULL if there was one. */
Journal *trace_parse(const char *path, const char *text, size_t len, FILE *err);
void trace_free(Journal *j);

/* Marks on d the path of one instance: `instance`, or (has_instance false)
 * the first instance of a drawn process in the journal. Drawn: process
 * `only`, or every process when only < 0. Nodes named in the journal become
 * DG_VISITED; between two of them in journal order, the edges of a shortest
 * path through nodes the journal never names (gateways, merges, assignments)
 * are marked, and those nodes DG_PASSED. When consecutive entries are in
 * different parallel branches, the path comes from the latest earlier entry
 * that has one. The START node counts as visited first. Unknown node ids and
 * an instance with no entries are warnings on err, not failures. Returns the
 * number of entries used. */
uint32_t trace_overlay(const Journal *j, Diagram *d, int32_t only, bool has_instance,
                       uint64_t instance, FILE *err);

#endif

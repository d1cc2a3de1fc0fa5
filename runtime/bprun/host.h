/* host.h — bprun, the reference host of libbprt: the host side of the runtime (host.c),
 * its scenario engine (scn.c), the expressions of `expect` (expr.c), mass runs over CSV
 * files (mass.c, csv.c) and the command line (bprun.c).
 *
 * bprun links only the runtime (bp.h); everything it knows of a bundle it asks the
 * runtime. It keeps what a host keeps: the instances it started, the notifications they
 * sent and their journals. */
#ifndef BPRUN_HOST_H
#define BPRUN_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bp.h"

/* What bprun remembers of one instance (kept across --reload, where the BpInstance is
 * saved, freed and restored between commands). */
typedef struct Note {
  char *user, *message;
} Note;

typedef struct Inst {
  BpInstance *inst;
  int number; /* 1-based, in the order instances appeared */
  Note *notes;
  size_t nnotes, capnotes;
  char **journal;
  size_t njournal, capjournal;
} Inst;

typedef struct Host {
  BpRuntime *rt;
  BpBundle *bundle;
  int64_t clock; /* seconds */
  Inst **insts;
  size_t ninsts, capinsts;
  size_t nspare; /* lean: records allocated in insts, past ninsts kept for reuse */
  size_t current; /* index into insts; ninsts when none */
  int number;     /* bprun mass: the number every new instance gets (its row); 0: they
                     are numbered 1, 2, ... in the order they appear */
  FILE *journal_out;  /* --journal FILE, or NULL */
  bool echo_journal;  /* bprun run: print journal lines as they come */
  size_t allocated;   /* bytes the runtime holds (the counting allocator) */
  /* bprun mass: instances keep no notes and no journal lines (the journal callback is
     set only when `journal` is, for journal_out), and the runtime's memory comes from
     ALLOC (with ALLOC_UD) when it is set, which then does the counting. */
  bool lean, journal;
  BpAllocFn alloc;
  void *alloc_ud;
  char role_buf[1024]; /* role("x"): the users named by BPRUN_ROLE_x */
  char *role_users[64];
} Host;

/* The runtime's config for a host: the counting allocator and the callbacks above. */
void host_init(Host *h);
bool host_open(Host *h, const uint8_t *bundle, size_t len, char *why, size_t why_size);
void host_reset(Host *h); /* frees the instances (lean: their records are kept for reuse) */
void host_close(Host *h);
Inst *host_current(Host *h);
/* A record for an instance about to be started (its number given), added to insts;
 * host_free_inst frees one taken out of insts again (and its instance). */
Inst *host_new_inst(Host *h);
void host_free_inst(Inst *r);
bool host_has_process(Host *h, const char *name);
/* --reload: every instance saved to bytes, freed and restored. false with a message
 * when a save or restore fails. */
bool host_reload(Host *h, char *why, size_t why_size);

/* A scenario (SCENARIOS.md) from text; counts into *passed and *failed; messages go to
 * out, each naming FILE:LINE. `interactive` is bprun run: commands from a terminal,
 * the open items shown after each. */
typedef struct ScnOptions {
  bool reload;
  bool interactive;
  bool verbose;
  char **start; /* bprun run: the `start` words to begin with */
  int nstart;
} ScnOptions;
void scn_run(Host *h, const char *file, FILE *in, const ScnOptions *opt, FILE *out, int *passed, int *failed);
/* The commands, as bprun run's `help` shows them. */
extern const char scn_run_help[];

/* bprun mass ARGS... (mass.c): the arguments after `mass`; returns the exit status. */
int mass_main(int argc, char **argv);
/* bprun --store URL COMMAND ... (store_cmd.c): the arguments after `--store`. */
int store_main(int argc, char **argv);

/* ---- expressions of `expect` (expr.c) ------------------------------------------------------ */

/* Evaluates a `.bp` expression over the instance's fields, parameters, variables and
 * step results (`r.approved`); *out is owned by the runtime (bp_value_free). */
bool expr_eval(Host *h, BpInstance *inst, const char *text, BpValue *out, char *why, size_t why_size);

#ifdef BPRUN_SWEEP
/* build/faults/bprun: host.c's allocator fails its sweep_fail_at-th growth (0: none);
 * sweep_told counts journal lines of a start that ran out of memory. */
extern long sweep_allocs, sweep_fail_at, sweep_told;
extern bool sweep_failed;
#endif

/* Text helpers shared by the modules. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xrealloc(void *p, size_t n);
void format_time(int64_t seconds, char *buf, size_t size);
/* The whole file in memory (free it); false with a message. */
bool read_whole_file(const char *path, uint8_t **data, size_t *len, char *why, size_t why_size);

#endif

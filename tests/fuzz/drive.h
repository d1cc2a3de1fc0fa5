/* drive.h — what the fuzz targets of the runtime share: a bounded allocator, a host
 * with callbacks, and an event driver that runs instances of a loaded bundle with
 * events chosen by input bytes (start, approve/reject by a person, complete, advance
 * time, commands, answers to calls, document changes, save and restore).
 *
 * The properties it asserts (abort() on violation, which libFuzzer reports):
 *   - an event on a verified bundle returns a status of bp.h and never BP_EBADDATA
 *     (the bundle was verified: the interpreter has nothing to trap on);
 *   - save -> restore -> save gives the same bytes. */
#ifndef FUZZ_DRIVE_H
#define FUZZ_DRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bp.h"
#include "bpt.h"

enum {
  DRIVE_MAX_INSTS = 8,   /* instances kept at once (the rest are freed at once) */
  DRIVE_MAX_EVENTS = 64, /* events delivered per input */
};

typedef struct Drive {
  BpRuntime *rt;
  BpBundle *bundle;
  BptBundle meta; /* the same bundle through bpt_read: the names of its parameters and fields */
  bool have_meta;
  BpInstance *insts[DRIVE_MAX_INSTS];
  size_t ninsts, current;
  /* Instances started by a trigger or `start` when insts is full: bp.h lets the host
   * free them only once the call that started them has returned (drive_settle). */
  BpInstance **later;
  size_t nlater;
  size_t allocated, limit; /* bytes held by the runtime, and the most it may hold */
  int64_t now;
  const uint8_t *p, *end; /* the event bytes not yet used */
  /* Called with every instance's saved bytes after each event (seed generation). */
  void (*saved)(void *ud, size_t bundle_index, const uint8_t *bytes, size_t len);
  void *saved_ud;
  size_t bundle_index;
} Drive;

/* A runtime with the bounded allocator. false when it cannot be made (out of memory). */
bool drive_init(Drive *d);
/* Loads a bundle; false (with no bundle) when the runtime refuses it. */
bool drive_load(Drive *d, const uint8_t *bytes, size_t len);
/* Starts process number `which` (of the bundle's processes, modulo) with arguments
 * made from the event bytes; the instance, if any, joins d->insts. */
void drive_start(Drive *d, uint8_t which);
/* Adds an instance the caller made (restored); frees it when there is no room. */
void drive_adopt(Drive *d, BpInstance *inst);
/* Frees the instances that were started when there was no room (see Drive.later). */
void drive_settle(Drive *d);
/* Delivers events from d->p until the bytes or DRIVE_MAX_EVENTS run out. */
void drive_events(Drive *d);
/* save -> restore -> save of one instance: the same bytes (aborts otherwise). Replaces
 * the instance by the restored one when both steps succeed. */
void drive_roundtrip(Drive *d, size_t i);
void drive_free(Drive *d);

/* Whether a violation's message names a known open defect (tests/fuzz/regress/KNOWN)
 * that the environment's BPFUZZ_KNOWN asks a fuzzing run to step over, so that it
 * goes on finding others. Unset (make check, make fuzz-smoke): nothing is stepped over. */
bool drive_known(const char *message);

/* An event's status: one of bp.h's, and not BP_EBADDATA (aborts otherwise). */
void drive_check_status(BpStatus st, const BpError *err, const char *what);

#endif

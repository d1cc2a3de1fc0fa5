/* bps.h — the persistent store of bpc processes: instances, documents, work items,
 * timers, journals and an outbox kept in a database (SQLite file by default,
 * PostgreSQL for postgresql://… URLs), so that processes outlive the program that
 * runs them. It links the runtime (bp.h); the runtime never links it.
 *
 * One event, one transaction: an event reads the instance (and the instances sharing
 * its document), restores it, delivers the event through bp.h, saves it and writes its
 * work items, timers, journal lines, document fields and outbox rows, then commits — or
 * rolls back and changes nothing. A lost race (SQLite busy, PostgreSQL serialization
 * failure) is retried a few times. What reaches outside (notifications, host actions)
 * waits in the outbox until bps_outbox hands it over, after the commit.
 *
 * Values are given as text (`name=value`, the `.bp` literal rules of bp_value_parse)
 * and typed by the bundle. Listings are rows of named cells handed to a callback. */
#ifndef BPS_H
#define BPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPS_SCHEMA_VERSION 1

typedef struct BpsStore BpsStore;

typedef enum BpsStatus {
  BPS_OK = 0,
  BPS_REFUSED, /* the event is against the rules (not your item, already decided, ended):
                  nothing changed */
  BPS_MISUSE,  /* a bad argument: unknown process, instance, item, field or value */
  BPS_ERROR    /* the database failed (locked past the retries, full, damaged) or a
                  bundle is missing: nothing changed */
} BpsStatus;

typedef struct BpsError {
  BpsStatus status;
  char message[512];
} BpsError;

/* A cell of a listed row: text (NULL when the cell is NULL) or an integer. */
typedef struct BpsCell {
  const char *name;
  const char *text;
  int64_t i;
  bool is_int;
} BpsCell;
typedef void (*BpsRowFn)(void *ud, const BpsCell *cells, size_t n);

/* Opens the store at URL: a file name (SQLite, created if missing, with
 * `?synchronous=normal|full|off&busy_timeout=MS` settings) or postgresql://… . A new
 * database gets the schema; an older one is migrated; a newer one is refused. */
BpsStatus bps_open(const char *url, BpsStore **out, BpsError *err);
void bps_close(BpsStore *s);

/* The store's clock: the stored virtual time if one was set (bps_clock_set, bps_advance),
 * else the wall clock. When the database cannot be read, the wall clock, and the next
 * transaction on S fails rather than use it. */
int64_t bps_now(BpsStore *s);
/* Sets the virtual clock to T (seconds), or back to the wall clock (T < 0). */
BpsStatus bps_clock_set(BpsStore *s, int64_t t, BpsError *err);

/* Stores a bundle (by content hash; the same bytes twice are one bundle): each of its
 * processes becomes the newest version of its name. Rows: process, version, bundle. */
BpsStatus bps_deploy(BpsStore *s, const void *bytes, size_t len, BpsRowFn fn, void *ud, BpsError *err);

/* A new document of DOCTYPE (in the newest bundle that has it) with ARGS (`name=value`);
 * the processes that start on its creation start. *doc is its number. */
BpsStatus bps_doc_create(BpsStore *s, const char *doctype, const char *const *args, size_t n,
                         int64_t *doc, BpsError *err);
/* The document changes as if edited by a person: the processes watching the fields start
 * (one transaction with the instances waiting on it). */
BpsStatus bps_doc_set(BpsStore *s, int64_t doc, const char *const *args, size_t n, BpsError *err);
/* Rows: field, value. */
BpsStatus bps_doc_show(BpsStore *s, int64_t doc, BpsRowFn fn, void *ud, BpsError *err);

/* Starts the newest version of PROCESS on DOC (0: a new document) with ARGS. */
BpsStatus bps_start(BpsStore *s, const char *process, int64_t doc, const char *const *args, size_t n,
                    int64_t *instance, BpsError *err);

/* An event for one instance. */
typedef enum BpsEventKind {
  BPS_EV_APPROVE, BPS_EV_REJECT, BPS_EV_COMPLETE, /* item (0: the user's oldest), user, comment, args: answers */
  BPS_EV_COMMAND,   /* user, name */
  BPS_EV_MESSAGE,   /* name, args: payload */
  BPS_EV_ANSWER,    /* name: the action, value (NULL: an action without a result) */
  BPS_EV_FAIL,      /* name: the action, comment: why */
  BPS_EV_TERMINATE  /* comment: why */
} BpsEventKind;
typedef struct BpsEvent {
  BpsEventKind kind;
  uint32_t item;
  const char *user;
  const char *comment;
  const char *name;
  const char *value;
  const char *const *args;
  size_t nargs;
} BpsEvent;
BpsStatus bps_event(BpsStore *s, int64_t instance, const BpsEvent *ev, BpsError *err);
/* The user an open item belongs to (for `act ITEM` without --by); false if not open. */
bool bps_item_user(BpsStore *s, int64_t instance, uint32_t item, char *user, size_t size);

/* The clock moves to UNTIL (never back): every timer due up to then fires, in time
 * order, each in its own transaction at its own time. *fired counts them. */
BpsStatus bps_advance(BpsStore *s, int64_t until, int64_t *fired, BpsError *err);
/* Fires up to MAX (0: all) timers due now (bps_now) without moving a virtual clock. */
BpsStatus bps_tick(BpsStore *s, size_t max, int64_t *fired, BpsError *err);
/* Hands up to MAX (0: all) undelivered outbox rows to FN, oldest first, each claimed
 * (FOR UPDATE SKIP LOCKED on PostgreSQL), handed over and marked delivered in one
 * transaction: at least once (a crash after FN, before the commit, hands it again), and
 * never to two workers at once.
 * Rows: id, instance, created, kind (notify|call), user, text. */
BpsStatus bps_outbox(BpsStore *s, size_t max, BpsRowFn fn, void *ud, int64_t *delivered, BpsError *err);

/* Rows: id, process, version, status, state, message, doc, started, updated, next_timer. */
BpsStatus bps_list(BpsStore *s, const char *status, BpsRowFn fn, void *ud, BpsError *err);
/* The open work items (of USER, or everybody's), oldest first. Rows: item (I.N), instance,
 * process, kind, user, title, since, due, overdue, from (who started it: the instance's
 * first `user` argument or ""), next (the other open items of the instance). */
BpsStatus bps_tasks(BpsStore *s, const char *user, BpsRowFn fn, void *ud, BpsError *err);
/* The journal of INSTANCE (0: every instance) in order. Rows: instance, seq, time,
 * process, node, text. */
BpsStatus bps_history(BpsStore *s, int64_t instance, BpsRowFn fn, void *ud, BpsError *err);

/* Moves the waiting instances of PROCESS to VERSION: each is replayed from its recorded
 * events on the new version; it moves when every event is accepted and every open step
 * (matched by user and title) is open again. Rows: instance, from, to, moved (1/0),
 * why. DRY_RUN: reports without changing anything. */
BpsStatus bps_migrate(BpsStore *s, const char *process, int64_t version, bool dry_run, BpsRowFn fn,
                      void *ud, BpsError *err);

#endif

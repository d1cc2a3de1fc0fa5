/* bp.h — libbprt, the runtime of bpc: runs compiled process bundles (.bpt) inside a host
 * program — a web app, a CRM, a mail robot.
 *
 * The model. A host makes a BpRuntime from a BpConfig (its allocator and its callbacks),
 * loads bundles (each is verified before it is trusted), and starts instances of their
 * processes on documents. An instance runs until it waits — for people (work items), for
 * a timer, for the host's answer to an action — and the host then delivers events: a
 * decision, a completion, a command, a change of the document, the clock moving on, an
 * action's answer. Each event applies completely or is refused with a message and changes
 * nothing (not even when memory runs out half-way). What an event causes — items opened
 * and withdrawn, notifications, journal lines, action calls, instances started — reaches
 * the host through the callbacks, after the event has been applied, in order.
 *
 * An instance can be saved to bytes and restored, in this process or another, to go on
 * exactly where it was; the bytes carry a version and a checksum and are bound to the
 * bundle they were made with.
 *
 * Threads: nothing here is global. A runtime and its bundles may be used from several
 * threads at once; an instance (and the instances that share its document) must be used
 * by one thread at a time. No function aborts, exits or prints: every one returns a
 * status, and a message when given a BpError.
 *
 * Time is seconds since 1970-01-01T00:00 (UTC, no leap seconds); `datetime` values are
 * to the minute. */
#ifndef BP_H
#define BP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden symbols; what this header declares is its whole
 * exported interface. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define BP_VERSION_MAJOR 0
#define BP_VERSION_MINOR 2
#define BP_VERSION_PATCH 0
#define BP_VERSION "0.2.0"
#define BP_VERSION_NUMBER (BP_VERSION_MAJOR * 10000 + BP_VERSION_MINOR * 100 + BP_VERSION_PATCH)

/* Limits the runtime enforces (docs/limits.md lists each with its message). An instance
 * that would pass one fails with a message naming it; a call given more is refused. */
#define BP_MAX_THREADS 10000         /* threads alive in one instance: parallel branches,
                                        command bodies, handlers that wait */
#define BP_MAX_BUNDLE (64u << 20)    /* bytes of a bundle bp_bundle_load accepts (64 MiB) */
#define BP_MAX_STATE (256u << 20)    /* bytes of a saved state (256 MiB): larger is neither
                                        saved nor restored */
#define BP_MAX_USERS 100000         /* people in one list of users (each counted once) */
#define BP_MAX_STRING 1048576        /* bytes of one text value (1 MiB): made at run time by
                                        `+`, interpolation, join, replace…, or given by the host */

/* The library's version, to compare with the header's BP_VERSION_NUMBER / BP_VERSION. */
int bp_version_number(void);
const char *bp_version(void);

typedef struct BpRuntime BpRuntime;   /* callbacks and allocator; owns bundles */
typedef struct BpBundle BpBundle;     /* a loaded, verified bundle; read-only */
typedef struct BpDoc BpDoc;           /* a document: the record instances work on */
typedef struct BpInstance BpInstance; /* one run of a process */

typedef enum BpStatus {
  BP_OK = 0,
  BP_ENOMEM,    /* out of memory; nothing changed */
  BP_EINVAL,    /* misuse: a NULL or unknown argument, a wrong value type */
  BP_EREFUSED,  /* the event is against the process's rules ("no open", "not allowed") */
  BP_EBADDATA,  /* bundle or saved bytes that are damaged, or made for another bundle */
  BP_EOVER      /* the instance has ended (completed, terminated or failed) */
} BpStatus;

/* A message buffer: a function given one writes a line here when it fails. */
typedef struct BpError {
  BpStatus status;
  char message[256];
} BpError;

/* ---- values ---------------------------------------------------------------------- */

/* Value types, the bundle's codes. A list type is BP_T_LIST | element type; `users` is
 * BP_T_USERS. Records are the results of human steps (`r.approved` is read with
 * bp_instance_get(inst, "r.approved", ...)). */
typedef enum BpType {
  BP_T_VOID = 0, BP_T_STRING, BP_T_INT, BP_T_DECIMAL, BP_T_BOOL, BP_T_DATE, BP_T_DATETIME,
  BP_T_DURATION, BP_T_USER,
  BP_T_TASK_RESULT = 0x20, BP_T_APPROVE_RESULT, BP_T_REVIEW_RESULT, BP_T_REQUEST_RESULT,
  BP_T_LIST = 0x80,
  BP_T_USERS = 0x88
} BpType;

/* A value handed to the runtime or read from it. The runtime copies what it is given;
 * a value it returns is valid until the next call on that instance. Strings are UTF-8,
 * not necessarily NUL-terminated (use len). */
typedef struct BpValue {
  BpType type;
  bool unset;    /* a date or datetime nobody gave (type says which) */
  uint8_t scale; /* BP_T_DECIMAL: fraction digits, 0..18 */
  int64_t i;     /* INT, DECIMAL (unscaled: 12.50 is 1250, scale 2), BOOL (0/1),
                    DATE (days since 1970-01-01), DATETIME (minutes since 1970-01-01T00:00),
                    DURATION (seconds) */
  const char *s; /* STRING, USER */
  size_t len;
  const struct BpValue *items; /* lists: n values of the element type */
  size_t n;
} BpValue;

BpValue bp_string(const char *s); /* NUL-terminated helpers for building arguments */
BpValue bp_user(const char *id);
BpValue bp_int(int64_t i);
BpValue bp_bool(bool b);
BpValue bp_decimal(int64_t unscaled, uint8_t scale);
BpValue bp_duration(int64_t seconds);
BpValue bp_date(int64_t days);
BpValue bp_datetime(int64_t minutes);
BpValue bp_list(BpType elem_type, const BpValue *items, size_t n);

/* A named value: a parameter or a document field at start, a field in bp_doc_set, an
 * answer to a request. */
typedef struct BpArg {
  const char *name;
  BpValue value;
} BpArg;

/* Parses TEXT as a value of TYPE, with the `.bp` literal rules and the leniency of a
 * command line: `"text"` or bare text for strings, `42`, `12.50`, `true`, `3d`,
 * `2026-03-05` or `date("2026-03-05")`, `2026-03-05T10:00` or `datetime(...)`, user ids
 * bare or quoted, lists as `a,b,c` or `["a", "b"]`. *out is owned by the runtime until
 * bp_value_free. */
BpStatus bp_value_parse(BpRuntime *rt, const char *text, size_t len, BpType type,
                        BpValue *out, BpError *err);
void bp_value_free(BpRuntime *rt, BpValue *v);
/* A copy of IN owned by the runtime until bp_value_free (to keep a value read from an
 * instance past the next call on it). */
BpStatus bp_value_copy(BpRuntime *rt, const BpValue *in, BpValue *out, BpError *err);

/* Whether S (LEN bytes) is text the runtime takes: well-formed UTF-8, no overlong forms,
 * no surrogates, nothing above U+10FFFF (a host can check a value before it passes it). */
bool bp_text_valid(const char *s, size_t len);

/* Writes v as `"{...}"` would show it (dates 2026-04-01, durations 4h30m, lists
 * "a, b, c"), NUL-terminated, truncated to size. Returns the full length. */
size_t bp_value_format(const BpValue *v, char *buf, size_t size);

/* The operators and built-in functions of the language, on values, as the interpreter
 * runs them (a host's own expressions, such as bprun's `expect`, stay consistent).
 * *out is owned by the runtime until bp_value_free. A type mismatch or a division by
 * zero gives BP_EINVAL with a message. */
typedef enum BpOp {
  BP_OP_ADD, BP_OP_SUB, BP_OP_MUL, BP_OP_DIV, BP_OP_MOD,
  BP_OP_EQ, BP_OP_NE, BP_OP_LT, BP_OP_LE, BP_OP_GT, BP_OP_GE, BP_OP_IN,
  BP_OP_NEG, BP_OP_NOT /* unary: b is ignored */
} BpOp;
BpStatus bp_value_op(BpRuntime *rt, BpOp op, const BpValue *a, const BpValue *b, BpValue *out,
                     BpError *err);
/* FN is a built-in's name (`len`, `substr`, ...); now()/today() read the clock. */
BpStatus bp_value_call(BpRuntime *rt, const char *fn, const BpValue *args, size_t n,
                       BpValue *out, BpError *err);

/* ---- what the host sees --------------------------------------------------------- */

typedef enum BpItemKind { BP_ITEM_TASK, BP_ITEM_APPROVE, BP_ITEM_REVIEW, BP_ITEM_REQUEST } BpItemKind;

/* A request's field: what the person is asked to fill in. */
typedef struct BpField {
  const char *name, *label;
  BpType type;
} BpField;

/* A work item: one person's part in an open human step. */
typedef struct BpItem {
  uint32_t id;        /* unique in its instance, never reused */
  BpItemKind kind;
  const char *user;
  const char *title;
  bool has_due;
  int64_t due;        /* seconds */
  const char *node;   /* the step's graph node id (for diagrams), "" if none */
  const BpField *fields; /* requests: what to answer */
  size_t nfields;
  /* Its due time passed while it stayed open: a soft deadline (a step without `on
   * timeout`, or whose `on timeout times N` ran N times), or an `on timeout` that only
   * added people. The item stays open (has_due/due still say when it was due, unless a
   * handler ran); reassigning it clears this. */
  bool overdue;
} BpItem;

/* A call of a host action, waiting for bp_answer or bp_fail. */
typedef struct BpCall {
  uint32_t id;        /* unique in its instance */
  const char *action;
  const BpValue *args;
  size_t nargs;
  BpType result_type;  /* BP_T_VOID: the action has no result */
} BpCall;

/* A line of an instance's history. */
typedef enum BpJournalKind {
  BP_J_STARTED, BP_J_OPENED, BP_J_DECIDED, BP_J_WITHDRAWN, BP_J_CLOSED, BP_J_TIMED_OUT,
  BP_J_REMINDED, BP_J_REASSIGNED, BP_J_NOTIFIED, BP_J_LOG, BP_J_FIELD, BP_J_STATE,
  BP_J_COMMAND, BP_J_CALLED, BP_J_ANSWERED, BP_J_STARTED_OTHER, BP_J_COMPLETED,
  BP_J_TERMINATED, BP_J_FAILED,
  BP_J_CAUGHT, /* an error caught by a try scope: "error CODE: message caught at NODE" */
  BP_J_MESSAGE_WAIT,  /* "waits for message paid" */
  BP_J_RECEIVED,      /* "received message paid: amount = 12.50" */
  BP_J_OVERDUE        /* "overdue: Pay for bricks (waiting for marina)": a soft deadline passed */
} BpJournalKind;
typedef struct BpJournal {
  int64_t time;       /* seconds */
  BpJournalKind kind;
  const char *process;
  const char *node;   /* the graph node id of the step, "" if none */
  const char *text;   /* "opened for bob: Vote on Contract 7", "approved by bob: ..." */
} BpJournal;

/* ---- the runtime ------------------------------------------------------------------ */

/* realloc-style: (ud, ptr, old size, new size); new size 0 frees and returns NULL. */
typedef void *(*BpAllocFn)(void *ud, void *ptr, size_t old_size, size_t new_size);

/* The host's side. Every callback but alloc, role and clock is called after the event
 * that caused it has been applied, in the order things happened; a callback may call
 * back into the runtime (answer an action at once, say). Strings passed are valid
 * during the call only. Any callback may be NULL. */
typedef struct BpConfig {
  /* sizeof(BpConfig) as the host was compiled: set by bp_config_init or BP_CONFIG_INIT,
   * checked by bp_runtime_new. Later versions add fields at the end only, so a host built
   * against this header keeps working with a later library (the fields it does not know
   * are zero: their defaults). */
  size_t size;
  BpAllocFn alloc;    /* required */
  void *alloc_ud;
  void *ud;           /* passed to the callbacks below */
  void (*opened)(void *ud, BpInstance *inst, const BpItem *item);
  void (*withdrawn)(void *ud, BpInstance *inst, const BpItem *item); /* no longer open,
                         though its person did not act (others decided, cancelled, reassigned) */
  void (*notify)(void *ud, BpInstance *inst, const char *user, const char *message);
  void (*call)(void *ud, BpInstance *inst, const BpCall *call);
  void (*journal)(void *ud, BpInstance *inst, const BpJournal *line);
  /* An instance started by another (`start P(...)`) or by a trigger (bp_doc_set): the
   * host owns it from now on and frees it with bp_instance_free — once the call that
   * started it has returned, not inside this callback: what the new instance did is
   * still being delivered. */
  void (*started)(void *ud, BpInstance *inst);
  /* `role("name")`: sets *users to n user ids (valid until the next call) and returns 0,
   * or returns non-zero: the instance fails. NULL: every role is empty. */
  int (*role)(void *ud, const char *role, const char *const **users, size_t *n);
  /* The current time, read once per event. NULL: the time given to bp_advance (0 until
   * then): a host that only moves a virtual clock needs no clock. */
  int64_t (*clock)(void *ud);
  /* Instructions an event may run before the instance fails as runaway (a loop with no
   * human step). 0: 1,000,000. */
  uint32_t step_budget;
} BpConfig;

/* A config with every field zero (every callback NULL, every setting its default) but
 * size: fill in alloc and what you need, then bp_runtime_new. BP_CONFIG_INIT does the
 * same in an initializer: BpConfig cfg = BP_CONFIG_INIT; */
void bp_config_init(BpConfig *config);
#define BP_CONFIG_INIT {.size = sizeof(BpConfig)}
/* Refused (BP_EINVAL) without an allocator, or with a size that is not one this library
 * knows (config not made by bp_config_init, or a newer header than the library). */
BpStatus bp_runtime_new(const BpConfig *config, BpRuntime **out, BpError *err);
/* Frees the runtime; its bundles, documents and instances must be freed first. */
void bp_runtime_free(BpRuntime *rt);

/* Reads and verifies a bundle (magic, version, checksum, every operand, jump and index,
 * stack depths); a bad one is refused with BP_EBADDATA and the verifier's message. The
 * bytes are copied. A bundle is freed after its documents and instances. */
BpStatus bp_bundle_load(BpRuntime *rt, const void *bytes, size_t len, BpBundle **out,
                        BpError *err);
void bp_bundle_free(BpBundle *b);
uint32_t bp_bundle_checksum(const BpBundle *b); /* CRC-32C of the bundle's bytes */

/* What a bundle holds, for hosts that build forms or parse text: processes by index,
 * their parameters and document fields. Types of names that do not exist are BP_T_VOID. */
size_t bp_bundle_process_count(const BpBundle *b);
const char *bp_bundle_process_name(const BpBundle *b, size_t i);
const char *bp_bundle_process_title(const BpBundle *b, size_t i);
/* How process I is started. MANUAL: by the host (or by another process); CREATE, CHANGE:
 * by the runtime, when a document is created or changed (bp_doc_set); TIMER: by the host on
 * a schedule, *schedule the ISO 8601 text of a BPMN timer start event: a date and time
 * (`2026-03-01T09:00Z`), a duration (`PT1H`: once, that long after the host took the
 * bundle into service) or a repeating interval (`R3/PT10H`, `R/P1D`: no end). The runtime
 * never starts a TIMER process by itself: the host keeps the schedule and calls bp_start.
 * *schedule (if not NULL) is "" for the other kinds; -1 for no process I. */
typedef enum BpTriggerKind { BP_TRIGGER_MANUAL, BP_TRIGGER_CREATE, BP_TRIGGER_CHANGE, BP_TRIGGER_TIMER } BpTriggerKind;
int bp_bundle_process_trigger(const BpBundle *b, size_t i, const char **schedule);
/* What a name in a process is (the values are the letters 'p', 'v', 'f' of earlier
 * versions). */
typedef enum BpNameKind {
  BP_NAME_NONE = 0, BP_NAME_PARAM = 'p', BP_NAME_VARIABLE = 'v', BP_NAME_FIELD = 'f'
} BpNameKind;
/* NAME's type in PROCESS: a parameter, a variable or a field of its document type;
 * *kind (if given) says which (BP_NAME_NONE: none of them). */
BpType bp_bundle_name_type(const BpBundle *b, const char *process, const char *name, BpNameKind *kind);
/* The type of FIELD of document type DOCTYPE (BP_T_VOID if there is no such field). */
BpType bp_bundle_field_type(const BpBundle *b, const char *doctype, const char *field);

/* The parameters of process I (bp_bundle_process_name), in declaration order: what a host
 * needs to build a start form. A required one has no default: a start without it is
 * refused (and a required `users` one must name somebody). */
typedef struct BpParamInfo {
  const char *name;
  const char *label; /* "" if none */
  BpType type;
  bool required;
} BpParamInfo;
size_t bp_process_param_count(const BpBundle *b, size_t process);
/* false if there is no such process or parameter. */
bool bp_process_param(const BpBundle *b, size_t process, size_t i, BpParamInfo *out);

/* ---- documents ---------------------------------------------------------------------- */

/* A document of DOCTYPE (NULL or "": none, for processes without `on`), with FIELDS set
 * and every other field at its default or empty. Reference-counted: each instance on it
 * holds a reference; bp_doc_release drops the caller's. */
BpStatus bp_doc_new(BpBundle *b, const char *doctype, const BpArg *fields, size_t n,
                    BpDoc **out, BpError *err);
void bp_doc_release(BpDoc *doc);
/* A field's value, valid until the next call on the document (BP_EINVAL: no such field). */
BpStatus bp_doc_get(const BpDoc *doc, const char *field, BpValue *out);
/* The document changes as if edited by a person: FIELDS are type-checked and stored
 * (all or none), then every process of the bundle whose trigger watches one that
 * changed (`start on change F when COND`) starts on it; each is handed to
 * config.started. A process's own assignments (and a request's answers) start the
 * others in the same way, after its event; a process never starts on its own changes,
 * and a chain of more than 8 processes starting each other is cut (and journalled).
 * A start that cannot happen (a required parameter nobody gives) is journalled with
 * a NULL instance. */
BpStatus bp_doc_set(BpDoc *doc, const BpArg *fields, size_t n, BpError *err);
/* The document was just created (a new lead, a new deal): every process of the bundle
 * with `start on create` (whose `when` holds) starts on it, each handed to
 * config.started; *started (if given) says how many. */
BpStatus bp_doc_created(BpDoc *doc, size_t *started, BpError *err);

/* ---- instances ------------------------------------------------------------------------ */

/* Starts PROCESS on DOC (NULL: a new document of the process's type). ARGS name
 * parameters or document fields; they are type-checked (an int where a decimal is
 * declared, a user where users are, are converted); a parameter without a default that
 * is not given refuses the start, naming it. UD is the host's pointer for the instance
 * (bp_instance_ud), set before its first callbacks. The instance runs until it first
 * waits. A new document made here holds the instance in its own allocation, and the
 * first texts and step results the instances on it make (384 bytes of them): after
 * bp_instance_free that memory goes when the document does (with the last instance on
 * it, such as a process the instance started). */
BpStatus bp_start(BpBundle *b, const char *process, BpDoc *doc, const BpArg *args, size_t n,
                  void *ud, BpInstance **out, BpError *err);
void bp_instance_free(BpInstance *inst);

typedef enum BpRunStatus { BP_WAITING, BP_COMPLETED, BP_TERMINATED, BP_FAILED } BpRunStatus;
BpRunStatus bp_instance_status(const BpInstance *inst);
/* Why it terminated or failed ("" otherwise); a failure names the source position. */
const char *bp_instance_message(const BpInstance *inst);
const char *bp_instance_process(const BpInstance *inst);
BpDoc *bp_instance_doc(BpInstance *inst);
/* The current state of a process with statuses, or NULL. */
const char *bp_instance_state(const BpInstance *inst);
/* A field, parameter, variable or step-result member ("r.approved") by name. BP_EINVAL
 * if there is no such name; a result not yet produced reads as unset. */
BpStatus bp_instance_get(BpInstance *inst, const char *name, BpValue *out);
/* The host's pointer, kept with the instance (not saved). */
void bp_instance_set_ud(BpInstance *inst, void *ud);
void *bp_instance_ud(const BpInstance *inst);

/* Open work items, oldest first: item i of n. */
size_t bp_instance_item_count(const BpInstance *inst);
bool bp_instance_item(const BpInstance *inst, size_t i, BpItem *out);
/* Pending host action calls, oldest first. */
size_t bp_instance_call_count(const BpInstance *inst);
bool bp_instance_call(const BpInstance *inst, size_t i, BpCall *out);
/* The commands of the current state offered to USER (NULL: to anyone): their names and
 * labels, up to max; returns how many there are. */
size_t bp_instance_commands(BpInstance *inst, const char *user, const char **names,
                            const char **labels, size_t max);
/* The earliest pending timer (a due time, a reminder, a wait), if any. */
bool bp_instance_next_timer(const BpInstance *inst, int64_t *at);
/* The messages the instance waits for (`wait message NAME`, a BPMN receive task or
 * message/signal catch event), each name once, in the order the waits began: message i of
 * n, with the payload fields it takes (name, type; label ""), valid until the next call
 * on the instance. false if there is no such message. */
typedef struct BpMessageWait {
  const char *name;
  const BpField *fields;
  size_t nfields;
} BpMessageWait;
size_t bp_instance_message_count(const BpInstance *inst);
bool bp_instance_message_wait(BpInstance *inst, size_t i, BpMessageWait *out);

/* ---- events ------------------------------------------------------------------------------ */

/* USER decides on an open approval: ITEM (0: USER's oldest open approval item) is
 * approved or rejected, with an optional comment. Refused ("no open approval ...") when
 * USER has no such item. */
BpStatus bp_decide(BpInstance *inst, uint32_t item, const char *user, bool approve,
                   const char *comment, BpError *err);
/* USER completes an open task, review or request (ITEM 0: their oldest such item), with
 * an optional comment or note, and a request's answers (every field, type-checked). */
BpStatus bp_complete(BpInstance *inst, uint32_t item, const char *user, const char *comment,
                     const BpArg *answers, size_t n, BpError *err);
/* USER runs command NAME of the current state; refused ("not allowed") when it is not
 * offered to USER, or when there is no such command in this state. */
BpStatus bp_command(BpInstance *inst, const char *user, const char *name, BpError *err);
/* The clock moves to NOW: due times, reminders and waits up to NOW fire in time order
 * (those at the same instant in the order they were set), each at its own time. */
BpStatus bp_advance(BpInstance *inst, int64_t now, BpError *err);
/* One advance is one event however many timers it fires: they share one step budget
 * (config.step_budget), so a timer that re-arms itself (an `on timeout` that reassigns
 * with a new due time) fails the instance as runaway rather than firing for ever. A host
 * that moves the clock over one interval in several calls (to fire the timers of several
 * instances in one time order, as bprun does) passes the same *budget to each call for
 * the same instance, starting at bp_runtime_step_budget(rt): the interval then costs
 * what a single bp_advance would, and fails at the same point. *budget is decreased by
 * the instructions run (by an advance that is applied: one that runs out of memory changes
 * nothing, *budget included, and may be tried again with it). */
BpStatus bp_advance_shared(BpInstance *inst, int64_t now, uint32_t *budget, BpError *err);
uint32_t bp_runtime_step_budget(const BpRuntime *rt);
/* The host's answer to pending call CALL (0: the oldest pending call); RESULT is
 * type-checked against the action's result type (NULL for an action without one). */
BpStatus bp_answer(BpInstance *inst, uint32_t call, const BpValue *result, BpError *err);
/* The host delivers message NAME (UTF-8, compared byte for byte) to the instance, with
 * its payload FIELDS (n name=value pairs): every thread waiting for NAME goes on, its
 * payload fields stored where the process says (type-checked and converted as a
 * request's answers are: every field it takes must be given, none it does not take may
 * be). A message no thread of the instance waits for is refused (BP_EREFUSED, "no
 * thread of this instance waits for message `x`") and changes nothing: messages are not
 * queued. A BPMN signal is a message the host delivers to every instance waiting for it
 * (bp_instance_message_count tells which do). */
BpStatus bp_message(BpInstance *inst, const char *name, const BpArg *fields, size_t n, BpError *err);
/* The host reports that call CALL failed: the instance fails with MESSAGE. */
BpStatus bp_fail(BpInstance *inst, uint32_t call, const char *message, BpError *err);
/* The host's action failed with a business error: `code` (a non-empty string) and a
 * message (may be NULL). The innermost enclosing try scope of the calling thread that
 * catches the code takes it (its steps and timers withdrawn, the catch goes on); when
 * none does, the instance fails with the code and the message. bp_fail, without a code,
 * is a technical failure that no try catches. */
BpStatus bp_fail_error(BpInstance *inst, uint32_t call, const char *code, const char *message,
                       BpError *err);
/* Stops the instance by hand: it ends as terminated with REASON. */
BpStatus bp_terminate(BpInstance *inst, const char *reason, BpError *err);

/* ---- save and restore -------------------------------------------------------------------- */

/* The instance's whole state (with its document's fields) as bytes, allocated with the
 * runtime's allocator: free them with bp_free(rt, bytes, len). */
BpStatus bp_instance_save(const BpInstance *inst, uint8_t **bytes, size_t *len, BpError *err);
/* An instance from saved bytes. DOC: the document to attach it to (the saved fields are
 * then ignored), or NULL for a new document made from the saved fields, which holds the
 * instance, the texts of its state and room for what its next event makes (a step's
 * title, its people, a result record) in its own allocation, as bp_start's does: after
 * bp_instance_free that memory goes when the document does. Save formats 4 (what
 * bp_instance_save writes) and 3 restore; bytes of another bundle, another version or
 * damaged ones are refused with BP_EBADDATA. */
BpStatus bp_instance_restore(BpBundle *b, BpDoc *doc, const uint8_t *bytes, size_t len,
                             BpInstance **out, BpError *err);
void bp_free(BpRuntime *rt, void *p, size_t len);

/* ---- fields by index ---------------------------------------------------------------- */

/* For a host that sets and reads the same fields of many documents (bprun mass: one per
 * row of a CSV file), each field named once instead of on every call.
 * bp_field_index: the index of FIELD in the document type of PROCESS (false if there is
 * no such process or field); it is the same for every document of that type. */
bool bp_field_index(const BpBundle *b, const char *process, const char *field, uint16_t *index);
/* bp_doc_get of the field at INDEX (BP_EINVAL: no such field). */
BpStatus bp_doc_get_at(const BpDoc *doc, uint16_t index, BpValue *out);
/* bp_start of PROCESS on a new document of its type, with FIELDS[i] the value of the
 * field at INDEX[i] (i < NFIELDS) and PARAMS its parameters by name: the same document,
 * the same start and the same errors as bp_start with those fields and parameters by
 * name. */
BpStatus bp_start_at(BpBundle *b, const char *process, const uint16_t *index, const BpValue *fields,
                     size_t nfields, const BpArg *params, size_t nparams, void *ud, BpInstance **out,
                     BpError *err);
/* bp_start_at of process number PROCESS (bp_bundle_process_name's I): a host that starts
 * one process many times looks its name up once. BP_EINVAL for no process PROCESS. */
BpStatus bp_start_at_process(BpBundle *b, size_t process, const uint16_t *index, const BpValue *fields,
                             size_t nfields, const BpArg *params, size_t nparams, void *ud, BpInstance **out,
                             BpError *err);
/* bp_instance_free(*INOUT), then bp_start_at_process into *INOUT: the same start, the same
 * errors (*INOUT NULL after one). A host that runs one process on document after
 * document passes the instance it is done with, and when nothing else holds that
 * instance's document (no instance it started on it) the new start takes its memory
 * instead of allocating, with its room for texts (the fields' texts given, those the
 * process makes) whole again; a text past that room as long as the field's old one is
 * written over it: one instance a host thread, not one a start. FIELDS must not point into the old
 * instance's values (they go with it, as with bp_instance_free). */
BpStatus bp_start_at_again(BpBundle *b, size_t process, const uint16_t *index, const BpValue *fields,
                           size_t nfields, const BpArg *params, size_t nparams, void *ud, BpInstance **inout,
                           BpError *err);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif

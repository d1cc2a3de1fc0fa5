/* mass.c — `bprun mass`: one process run on every row of a CSV file (docs/bprun.md).
 *
 * The file is read whole and cut into chunks of consecutive rows (csv.c finds the
 * records): with a progress bar by a first pass over the whole file (make_chunks);
 * without one, by the workers as they go (one worker cuts them as it reads the rows,
 * read_chunks; more cut each as they take it, cut_chunk). N worker threads, each with its own runtime and bundle
 * (the runtime has no global state), take the chunks in order and run the process on
 * every row of one, putting the row's output line, journal lines and messages into the
 * chunk. The main thread writes the chunks out in order as they are done (with one job
 * and no progress bar it is the worker too: read_and_write), to temporary
 * files renamed into place at the end (outfile.h; a device or FIFO is written in place): the output is the same bytes for any N, and only
 * a window of chunks (a few per worker) is ever held in memory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "host.h"
#include "outfile.h"
#include "pool.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_MISUSE = 2 };
/* MAX_CHUNK: rows of a chunk at most. Each chunk done wakes the writing thread: at 256 rows
 * a run of 200,000 switched threads some 800 to 2,900 times (perf stat), and took about 3%
 * more CPU time than at 1,024; the window holds 4 chunks a worker, a few hundred KB. */
enum { MAX_JOBS = 64, MAX_CHUNK = 1024, CHUNKS_PER_JOB = 8, WINDOW_PER_JOB = 4 };

typedef enum RowStatus { ROW_COMPLETED, ROW_TERMINATED, ROW_FAILED, ROW_BAD } RowStatus;
static const char *const status_names[] = {"completed", "terminated", "failed", "error"};

typedef struct Column {
  char *name;
  uint8_t type;
  uint16_t index; /* the field's (bp_field_index) */
} Column;

/* A run of consecutive rows, and what running them produced. */
typedef struct Chunk {
  size_t pos;        /* where its first record starts */
  int line;          /* the line it starts on */
  size_t row, nrows; /* its first row (1-based) and how many */
  size_t end;        /* (Mass.reading) where the record after its last row starts ... */
  int end_line;      /* ... and on which line */
  bool done;
  CsvBuf out;        /* its output lines */
  char *journal;     /* its journal lines (--journal), from open_memstream */
  size_t njournal;
  CsvBuf messages;   /* its lines for stderr */
  size_t count[4];   /* its rows by RowStatus */
} Chunk;

/* What the workers share: read-only while they run, but for the fields under lock. */
typedef struct Mass {
  const char *csv_path, *process;
  const char *out_path, *journal_path;
  const char *text; /* the CSV file, after its BOM */
  size_t len;
  Column *cols;
  size_t ncols;
  char **params; /* name=value words */
  size_t nparams;
  int64_t clock;
  bool journal;
  const char *eol; /* the header's line end, used for every line written */
  /* The end of a line with no message, by status: ",completed," and the line end. */
  char tail[sizeof status_names / sizeof *status_names][16];
  size_t tail_len[sizeof status_names / sizeof *status_names];
  bool bom;        /* the file started with a UTF-8 BOM: so does the output */
  Chunk *chunks;  /* reading or cutting: a ring of `window` chunks, chunk k at chunks[k % window] */
  size_t nchunks; /* reading or cutting: SIZE_MAX until the end of the rows is found */
  bool reading;   /* one worker cuts the chunks itself as it reads the rows (read_chunks) */
  bool cutting;   /* the workers cut each chunk as they take it (cut_chunk) ... */
  size_t cut_pos, cut_row, cut_size; /* ... from here, its first row, of this many rows */
  int cut_line;
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a chunk was done, or one was written */
  size_t next;            /* the next chunk to take */
  size_t written;         /* chunks written out */
  size_t window;          /* chunks taken and not yet written: at most this many */
  bool stop;              /* writing failed: take no more */
} Mass;

/* Chunk K: in the ring when the workers cut the chunks (read_later, cut_later), else in
 * the array (make_chunks). */
static Chunk *chunk_at(Mass *m, size_t k) { return &m->chunks[m->reading || m->cutting ? k % m->window : k]; }

typedef struct Worker {
  Mass *m;
  Host h;
  Pool pool; /* its runtime's memory */
  pthread_t thread;
  size_t process;   /* the process's index in this worker's bundle */
  BpArg *params;   /* parsed in this worker's runtime */
  BpValue *fields; /* a row's fields: fields[i] for the field at index[i] */
  uint16_t *index;
  bool *owned; /* fields[i] was made by bp_value_parse: freed after the row */
  CsvCells cells;
  CsvBuf text; /* one value as text */
  BpInstance *inst; /* the last row's instance, whose memory the next row's start takes
                       (bp_start_at_again): no allocation per row for it and its document */
} Worker;

/* ---- the temporary files ------------------------------------------------------------------- */

/* The one piece of writable global state in bprun: what to remove when the run ends
 * before its output is complete (an interrupt, or running out of memory in any thread).
 * A signal handler has nothing else to reach. */
static struct {
  char out[4096], journal[4096];
  volatile sig_atomic_t armed;
} pending;

static void remove_pending(void) {
  if (!pending.armed) return;
  pending.armed = 0;
  if (pending.out[0]) unlink(pending.out);
  if (pending.journal[0]) unlink(pending.journal);
}

static void on_signal(int sig) {
  remove_pending();
  _exit(128 + sig);
}

/* The mapped input (open_input) was cut shorter by another program while it was read. */
static void on_bus_error(int sig) {
  (void)sig;
  static const char msg[] = "bprun mass: the CSV file changed (it was cut shorter) while it was read\n";
  if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) { /* nothing more to be done */
  }
  remove_pending();
  _exit(EXIT_MISUSE);
}

static void arm_cleanup(void) {
  static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) sigaction(signals[i], &sa, NULL);
  atexit(remove_pending);
  pending.armed = 1;
}

/* ---- values as cells ------------------------------------------------------------------------ */

/* Whether the n bytes at a and at b are the same: the cells' short texts 8 bytes a step,
 * the last 8 read again where they overlap, without a call of memcmp for each cell. */
static inline bool same_bytes(const char *a, const char *b, size_t n) {
  uint64_t x, y;
  if (n < 8) {
    for (size_t i = 0; i < n; i++)
      if (a[i] != b[i]) return false;
    return true;
  }
  for (size_t i = 0; i + 8 < n; i += 8) {
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  memcpy(&x, a + n - 8, 8);
  memcpy(&y, b + n - 8, 8);
  return x == y;
}

/* Whether text written bare reads back as itself (bp_value_parse trims blanks and
 * decodes a quoted literal; a list splits at commas and quotes). Inline: it runs for
 * every text column of every row, where a call cost 30 instructions. */
static inline __attribute__((always_inline)) bool bare_reads_back(const char *s, size_t n, bool in_list) {
  if (n == 0) return !in_list;
  /* (Most texts start and end with a letter or digit, above '"': one compare each.) */
  unsigned char first = (unsigned char)s[0], last = (unsigned char)s[n - 1];
  if (first <= '"' && (first == ' ' || first == '\t' || (n >= 2 && first == '"' && last == '"'))) return false;
  if (last <= ' ' && (last == ' ' || last == '\t' || last == '\r' || last == '\n')) return false;
  if (in_list && (memchr(s, ',', n) || memchr(s, '"', n) || s[0] == '[' || last == ']')) return false;
  return true;
}

/* Text as bp_value_parse reads it back: bare when it can be, else a `.bp` literal. */
static void put_text(CsvBuf *b, const char *s, size_t n, bool in_list) {
  if (bare_reads_back(s, n, in_list)) {
    csv_buf_put(b, s, n);
    return;
  }
  csv_buf_put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    const char *esc = NULL;
    switch (s[i]) {
    case '\\': esc = "\\\\"; break;
    case '"': esc = "\\\""; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '{': esc = "\\{"; break;
    case '}': esc = "\\}"; break;
    }
    if (esc) csv_buf_put(b, esc, strlen(esc));
    else csv_buf_put(b, s + i, 1);
  }
  csv_buf_put(b, "\"", 1);
}

static void put_scalar(CsvBuf *b, const BpValue *v, bool in_list) {
  if (v->type == BP_T_STRING || v->type == BP_T_USER) {
    put_text(b, v->s ? v->s : "", v->len, in_list);
    return;
  }
  if ((v->type == BP_T_DATE || v->type == BP_T_DATETIME) && v->unset) return; /* an empty cell */
  char buf[128];
  size_t n = bp_value_format(v, buf, sizeof buf);
  csv_buf_put(b, buf, n < sizeof buf ? n : sizeof buf - 1);
}

/* V as the text of a cell that bp_value_parse reads back as V. */
static void put_value(CsvBuf *b, const BpValue *v) {
  if (!(v->type & BP_T_LIST)) {
    put_scalar(b, v, false);
    return;
  }
  for (size_t i = 0; i < v->n; i++) {
    if (i) csv_buf_put(b, ", ", 2);
    put_scalar(b, &v->items[i], true);
  }
}

/* ---- one row -------------------------------------------------------------------------------- */

static void say(Chunk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(Chunk *c, const char *fmt, ...) {
  char line[1200];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  csv_buf_put(&c->messages, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  csv_buf_put(&c->messages, "\n", 1);
}

static void end_line(Worker *w, Chunk *c, RowStatus status, const char *message) {
  if (!*message) { /* most rows */
    csv_buf_put(&c->out, w->m->tail[status], w->m->tail_len[status]);
    c->count[status]++;
    return;
  }
  csv_buf_put(&c->out, ",", 1);
  csv_buf_put(&c->out, status_names[status], strlen(status_names[status]));
  csv_buf_put(&c->out, ",", 1);
  csv_put_cell(&c->out, message, strlen(message));
  csv_buf_put(&c->out, w->m->eol, strlen(w->m->eol));
  c->count[status]++;
}

/* The row as it was read (padded or cut to the header's width), with its status. */
static void put_original(Worker *w, Chunk *c, RowStatus status, const char *message) {
  for (size_t i = 0; i < w->m->ncols; i++) {
    if (i) csv_buf_put(&c->out, ",", 1);
    if (i < w->cells.n) csv_put_cell(&c->out, w->cells.cell[i].s, w->cells.cell[i].len);
  }
  end_line(w, c, status, message);
}

/* The document's fields after the run, with its status. (Read from the document: every
 * column is a field that no parameter or variable of the process hides, read_header
 * made sure, so this is what bp_instance_get gives, without its search of the slots.) */
static void put_document(Worker *w, Chunk *c, BpInstance *inst, RowStatus status, const char *message) {
  const BpDoc *doc = bp_instance_doc(inst);
  for (size_t i = 0; i < w->m->ncols; i++) {
    if (i) csv_buf_put(&c->out, ",", 1);
    BpValue v;
    if (bp_doc_get_at(doc, w->m->cols[i].index, &v) != BP_OK) {
      fputs("bprun: out of memory\n", stderr); /* the only way a field can fail to be read */
      exit(EXIT_MISUSE);
    }
    if ((v.type == BP_T_STRING || v.type == BP_T_USER) && bare_reads_back(v.s, v.len, false)) {
      /* The common case, without the copy. A text the run left as its cell gave it is
       * written as the cell stands in the file, when that is how csv_put_cell writes
       * it: the same bytes, without looking for what needs quoting. */
      const CsvCell *cell = &w->cells.cell[i];
      if (cell->written && cell->len == v.len && same_bytes(cell->s, v.s, v.len))
        csv_buf_put(&c->out, cell->written, cell->written_len);
      else
        csv_put_cell(&c->out, v.s ? v.s : "", v.len);
      continue;
    }
    w->text.len = 0;
    put_value(&w->text, &v);
    csv_put_cell(&c->out, w->text.s ? w->text.s : "", w->text.len);
  }
  end_line(w, c, status, message);
}

static void bad_row(Worker *w, Chunk *c, const CsvRecord *rec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad_row(Worker *w, Chunk *c, const CsvRecord *rec, const char *fmt, ...) {
  char why[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  say(c, "%s:%d: %s", w->m->csv_path, rec->line, why);
  put_original(w, c, ROW_BAD, why);
}

static const char *const item_kinds[] = {"task", "approval", "review", "request"};

/* Why an instance still waits, for the row's message. */
static void describe_wait(BpInstance *inst, bool started, char *buf, size_t size) {
  char who[200];
  if (started) snprintf(who, sizeof who, "the process %s, started by it,", bp_instance_process(inst));
  else snprintf(who, sizeof who, "the process");
  const char *tail = " — mass runs need processes that finish on their own";
  BpItem it;
  BpCall call;
  BpMessageWait msg;
  int64_t at;
  size_t nitems = bp_instance_item_count(inst);
  if (nitems && bp_instance_item(inst, 0, &it)) {
    char more[40] = "";
    if (nitems > 1) snprintf(more, sizeof more, ", and %zu more", nitems - 1);
    snprintf(buf, size, "%s waits for people (%s for %s \"%s\"%s)%s", who, item_kinds[it.kind], it.user, it.title,
             more, tail);
  } else if (bp_instance_call_count(inst) && bp_instance_call(inst, 0, &call)) {
    snprintf(buf, size, "%s waits for the host's answer to %s%s", who, call.action, tail);
  } else if (bp_instance_message_count(inst) && bp_instance_message_wait(inst, 0, &msg)) {
    snprintf(buf, size, "%s waits for message %s%s", who, msg.name, tail);
  } else if (bp_instance_next_timer(inst, &at)) {
    char when[32];
    format_time(at, when, sizeof when);
    snprintf(buf, size, "%s waits until %s%s", who, when, tail);
  } else {
    snprintf(buf, size, "%s waits%s", who, tail);
  }
}

/* How the row's instances ended: the one started on the row, then those it started
 * (a `start`, a change that triggers another process), which must end too. */
static RowStatus judge(Host *h, char *buf, size_t size, const char **message) {
  BpInstance *first = h->insts[0]->inst;
  BpRunStatus st = bp_instance_status(first);
  *message = buf;
  if (st == BP_WAITING) {
    describe_wait(first, false, buf, size);
    return ROW_FAILED;
  }
  *message = bp_instance_message(first);
  if (st == BP_FAILED) return ROW_FAILED;
  for (size_t i = 1; i < h->ninsts; i++) {
    BpInstance *other = h->insts[i]->inst;
    *message = buf;
    if (bp_instance_status(other) == BP_WAITING) {
      describe_wait(other, true, buf, size);
      return ROW_FAILED;
    }
    if (bp_instance_status(other) == BP_FAILED) {
      snprintf(buf, size, "the process %s, started by it, failed: %s", bp_instance_process(other),
               bp_instance_message(other));
      return ROW_FAILED;
    }
  }
  *message = bp_instance_message(first);
  return st == BP_COMPLETED ? ROW_COMPLETED : ROW_TERMINATED;
}

/* A value made by bp_value_parse is freed; one taken as it stands (cell_as_is: it points
 * into the row's decoded cells) is not. */
static void free_values(Worker *w, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (w->owned[i]) bp_value_free(w->h.rt, &w->fields[i]);
}

/* A text or user cell taken as it stands, without bp_value_parse's copy (and its free
 * after the row): what bp_value_parse would give, when the cell is not quoted, has no
 * blanks to trim and is valid UTF-8 (a user id not empty). bp_start copies it. Anything
 * else goes through bp_value_parse, which says what is wrong. When TRUSTING, the UTF-8
 * is not checked here: bp_start checks it anyway, and a row it refuses is read again
 * without trust (run_row), so a bad cell gets bp_value_parse's message all the same. */
static bool cell_as_is(const CsvCell *cell, uint8_t type, bool trusting, BpValue *out) {
  if (type != BP_T_STRING && type != BP_T_USER) return false;
  const char *t = cell->s;
  size_t n = cell->len;
  if (n == 0 || n > BP_MAX_STRING) return false;
  /* (Most cells start and end with a letter or digit, above '"': one compare each.) */
  unsigned char first = (unsigned char)t[0], last = (unsigned char)t[n - 1];
  if (first <= '"' && (first == ' ' || first == '\t' || first == '"')) return false;
  if (last <= ' ' && (last == ' ' || last == '\t' || last == '\r' || last == '\n')) return false;
  if (!trusting && !bp_text_valid(t, n)) return false;
  *out = (BpValue){.type = (BpType)type, .s = t, .len = n};
  return true;
}

/* An empty cell gives no value (the field keeps its default, a date stays unset) but
 * for text and lists, where it is the empty value. */
static bool empty_is_value(uint8_t type) { return type == BP_T_STRING || (type & BP_T_LIST); }

/* The row's cells (w->cells, read with the record) as the process's fields, into
 * w->fields and w->index; false after reporting a bad row. Sets *n to the number of fields given, and
 * *trusted to whether a cell was taken without its UTF-8 checked (cell_as_is). */
static bool read_fields(Worker *w, Chunk *c, const CsvRecord *rec, bool trusting, size_t *n, bool *trusted) {
  Mass *m = w->m;
  if (rec->error) {
    if (rec->error_cell < m->ncols) bad_row(w, c, rec, "%s: %s", m->cols[rec->error_cell].name, rec->error);
    else bad_row(w, c, rec, "cell %zu: %s", rec->error_cell + 1, rec->error);
    return false;
  }
  if (w->cells.n != m->ncols) {
    bad_row(w, c, rec, "%zu cells where the header has %zu", w->cells.n, m->ncols);
    return false;
  }
  /* (Counted in locals: through N and TRUSTED, the compiler reloads them after every store.) */
  size_t k = 0;
  bool any_trusted = false;
  BpValue *fields = w->fields;
  bool *owned = w->owned;
  const CsvCell *cells = w->cells.cell;
  for (size_t i = 0; i < m->ncols; i++) {
    const CsvCell *cell = &cells[i];
    uint8_t type = m->cols[i].type;
    if (cell->len == 0 && !empty_is_value(type)) continue;
    if (cell_as_is(cell, type, trusting, &fields[k])) {
      owned[k] = false;
      any_trusted |= trusting;
    } else {
      BpError err; /* (not zeroed whole: 260 bytes, per cell) */
      err.status = BP_OK;
      err.message[0] = '\0';
      owned[k] = true;
      if (bp_value_parse(w->h.rt, cell->s, cell->len, type, &fields[k], &err) != BP_OK) {
        free_values(w, k);
        if (any_trusted) /* a cell before it, taken on trust, may be the first bad one */
          return read_fields(w, c, rec, false, n, trusted);
        bad_row(w, c, rec, "%s: %s", m->cols[i].name, err.message);
        return false;
      }
    }
    w->index[k++] = m->cols[i].index;
  }
  *n = k;
  *trusted = any_trusted;
  return true;
}

/* One row: its document made from its cells, the process run on it, its line written. */
static void run_row(Worker *w, Chunk *c, const CsvRecord *rec, size_t row) {
  Mass *m = w->m;
  Host *h = &w->h;
  size_t n;
  bool trusted;
  if (!read_fields(w, c, rec, true, &n, &trusted)) return;
  h->clock = m->clock;
  h->number = (int)row;
  Inst *r = host_new_inst(h);
  h->current = 0;
  BpError err;
  err.status = BP_OK;
  err.message[0] = '\0';
  BpStatus st = bp_start_at_again(h->bundle, w->process, w->index, w->fields, n, w->params, m->nparams, r, &w->inst, &err);
  r->inst = w->inst;
  free_values(w, n);
  if (st != BP_OK && trusted) { /* refused, and perhaps for a cell taken on trust: read it again */
    if (!read_fields(w, c, rec, false, &n, &trusted)) {
      host_reset(h);
      return;
    }
    err = (BpError){0};
    st = bp_start_at_again(h->bundle, w->process, w->index, w->fields, n, w->params, m->nparams, r, &w->inst, &err);
    r->inst = w->inst;
    free_values(w, n);
  }
  char why[600];
  const char *message = err.message;
  RowStatus status = st == BP_OK ? judge(h, why, sizeof why, &message) : ROW_FAILED;
  if (status == ROW_FAILED) {
    /* The messages composed here (waits, a started process failed) say what happened;
     * the runtime's need saying whose they are. */
    const char *what = message == why ? "" : st == BP_OK ? "the process failed: " : "cannot start: ";
    say(c, "%s:%d: row %zu: %s%s", m->csv_path, rec->line, row, what, message);
    put_original(w, c, status, message);
  } else {
    put_document(w, c, r->inst, status, message);
  }
  r->inst = NULL; /* w->inst: the next row starts in it; host_reset frees those it started */
  host_reset(h);
}

/* Runs the rows of C: its first MAX rows (fewer if the text ends first), their number
 * in c->nrows, where they end in c->end and c->end_line. */
static void run_chunk(Worker *w, Chunk *c, size_t max) {
  Mass *m = w->m;
  FILE *journal = NULL;
  if (m->journal && !(journal = open_memstream(&c->journal, &c->njournal))) {
    fputs("bprun: out of memory\n", stderr);
    exit(EXIT_MISUSE);
  }
  w->h.journal_out = journal;
  size_t pos = c->pos, done = 0;
  int line = c->line;
  while (done < max && pos < m->len) {
    CsvRecord rec;
    csv_read(m->text, m->len, pos, line, &rec, &w->cells);
    pos = rec.next;
    line = rec.next_line;
    if (rec.start == rec.end && !rec.error) continue; /* a blank line */
    run_row(w, c, &rec, c->row + done);
    done++;
  }
  c->nrows = done;
  c->end = pos;
  c->end_line = line;
  w->h.journal_out = NULL;
  if (journal) fclose(journal);
}

/* (Mass.reading) Chunk C cut and run: its rows from *POS on (the line *LINE, the row
 * *ROW), at most MAX_CHUNK, and *POS, *LINE and *ROW moved past them; false when no row
 * was left (nothing but blank lines). */
static bool read_chunk(Worker *w, Chunk *c, size_t *pos, int *line, size_t *row) {
  c->pos = *pos;
  c->line = *line;
  c->row = *row;
  memset(c->count, 0, sizeof c->count);
  run_chunk(w, c, MAX_CHUNK);
  if (c->nrows == 0) {
    free(c->journal);
    c->journal = NULL;
    return false;
  }
  *pos = c->end;
  *line = c->end_line;
  *row += c->nrows;
  return true;
}

/* The one worker of a run whose chunks were not cut beforehand (Mass.reading): it cuts
 * them itself, each of MAX_CHUNK rows from where the one before ended, as a worker that
 * took chunk after chunk of make_chunks's would run them; then it says how many there
 * were. The rows run, and the output is written, exactly as with make_chunks. */
static void *read_chunks(Worker *w) {
  Mass *m = w->m;
  size_t k = 0, row = 1;
  size_t pos = m->chunks[0].pos;
  int line = m->chunks[0].line;
  while (pos < m->len && k < m->nchunks) {
    pthread_mutex_lock(&m->lock);
    while (!m->stop && k >= m->written + m->window) pthread_cond_wait(&m->changed, &m->lock);
    bool stop = m->stop;
    pthread_mutex_unlock(&m->lock);
    if (stop) break;
    /* The slot was chunk k - window's, written and emptied since (write_chunks); its
     * `done` is false and is changed under the lock only. */
    Chunk *c = chunk_at(m, k);
    if (!read_chunk(w, c, &pos, &line, &row)) break;
    pthread_mutex_lock(&m->lock);
    c->done = true;
    k++;
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->lock);
  }
  pthread_mutex_lock(&m->lock);
  m->nchunks = k;
  pthread_cond_broadcast(&m->changed);
  pthread_mutex_unlock(&m->lock);
  return NULL;
}

/* (Mass.cutting, under the lock) The next chunk into C, the rows make_chunks would give
 * it: up to cut_size rows from cut_pos on; false when no row is left. The scan is the
 * only work done under the lock: the workers run the rows they cut at the same time. */
static bool cut_chunk(Mass *m, Chunk *c) {
  size_t rows = 0, pos = m->cut_pos;
  int line = m->cut_line;
  c->pos = pos, c->line = line, c->row = m->cut_row;
  while (pos < m->len && rows < m->cut_size) {
    CsvRecord rec;
    csv_scan(m->text, m->len, pos, line, &rec);
    if (rec.start != rec.end || rec.error) {
      if (rows == 0) c->pos = pos, c->line = line;
      rows++;
    }
    pos = rec.next;
    line = rec.next_line;
  }
  c->nrows = rows;
  memset(c->count, 0, sizeof c->count);
  m->cut_pos = pos, m->cut_line = line, m->cut_row += rows;
  return rows > 0;
}

static void *work(void *arg) {
  Worker *w = arg;
  Mass *m = w->m;
  if (m->reading) return read_chunks(w);
  for (;;) {
    pthread_mutex_lock(&m->lock);
    while (!m->stop && m->next < m->nchunks && m->next >= m->written + m->window) pthread_cond_wait(&m->changed, &m->lock);
    if (m->stop || m->next == m->nchunks) {
      pthread_mutex_unlock(&m->lock);
      return NULL;
    }
    Chunk *c = chunk_at(m, m->next); /* (cutting: the slot of chunk next - window, written) */
    if (m->cutting && !cut_chunk(m, c)) { /* the end of the rows: no more chunks */
      m->nchunks = m->next;
      pthread_cond_broadcast(&m->changed);
      pthread_mutex_unlock(&m->lock);
      return NULL;
    }
    m->next++;
    pthread_mutex_unlock(&m->lock);
    run_chunk(w, c, c->nrows);
    pthread_mutex_lock(&m->lock);
    c->done = true;
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->lock);
  }
}

/* ---- setting up ------------------------------------------------------------------------------- */

static const char usage_line[] =
    "usage: bprun mass BUNDLE.bpt PROCESS --documents IN.csv --out OUT.csv [--journal FILE]\n"
    "                  [--jobs N] [--clock 2026-03-01T09:00] [param=value ...]\n";

static int misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int misuse(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bprun mass: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return EXIT_MISUSE;
}

/* The name=value words as parameters of the process, parsed in H's runtime; false with
 * a message. */
static bool parse_params(Host *h, const Mass *m, BpArg **out, char *why, size_t size) {
  BpArg *args = xrealloc(NULL, (m->nparams ? m->nparams : 1) * sizeof *args);
  for (size_t i = 0; i < m->nparams; i++) {
    const char *word = m->params[i], *eq = strchr(word, '=');
    char *name = xstrndup(word, (size_t)(eq - word));
    BpNameKind kind = BP_NAME_NONE;
    uint8_t type = bp_bundle_name_type(h->bundle, m->process, name, &kind);
    BpError err = {0};
    bool ok = false;
    if (kind == 'f') snprintf(why, size, "`%s` is a field of the document: give it as a column of the CSV file", name);
    else if (kind != 'p') snprintf(why, size, "`%s` is not a parameter of %s", name, m->process);
    else if (bp_value_parse(h->rt, eq + 1, strlen(eq + 1), type, &args[i].value, &err) != BP_OK)
      snprintf(why, size, "%s: %s", name, err.message);
    else ok = true;
    if (!ok) {
      free(name);
      for (size_t k = 0; k < i; k++) {
        bp_value_free(h->rt, &args[k].value);
        free((char *)args[k].name);
      }
      free(args);
      return false;
    }
    args[i].name = name;
  }
  *out = args;
  return true;
}

static void free_params(Host *h, BpArg *args, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bp_value_free(h->rt, &args[i].value);
    free((char *)args[i].name);
  }
  free(args);
}

/* The process can start with these parameters (a required one missing is refused): a
 * trial start on an empty document, so the mistake is reported once, not on every row. */
static bool try_start(Host *h, const Mass *m, char *why, size_t size) {
  BpArg *params;
  if (!parse_params(h, m, &params, why, size)) return false;
  BpInstance *inst = NULL;
  BpError err = {0};
  BpStatus st = bp_start(h->bundle, m->process, NULL, params, m->nparams, NULL, &inst, &err);
  if (st != BP_OK) snprintf(why, size, "cannot start %s: %s", m->process, err.message);
  if (inst) bp_instance_free(inst);
  free_params(h, params, m->nparams);
  host_reset(h);
  return st == BP_OK;
}

static char *trimmed_copy(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  return xstrndup(s, n);
}

/* The header: every column a field of the process's document, none twice. Sets
 * m->cols; false after reporting every bad column. */
static bool read_header(Host *h, Mass *m, const CsvRecord *rec) {
  if (rec->error) { /* nothing of it is taken: a cut name could be a field's */
    fprintf(stderr, "%s:%d: the header, column %zu: %s\n", m->csv_path, rec->line, rec->error_cell + 1, rec->error);
    return false;
  }
  CsvCells cells = {0};
  csv_cells(m->text, rec, &cells);
  m->cols = xrealloc(NULL, cells.n * sizeof *m->cols);
  m->ncols = cells.n;
  size_t bad = 0;
  enum { SHOWN = 10 }; /* bad columns told one by one; the rest counted */
  for (size_t i = 0; i < cells.n; i++) {
    Column *col = &m->cols[i];
    col->name = trimmed_copy(cells.cell[i].s, cells.cell[i].len);
    BpNameKind kind = BP_NAME_NONE;
    col->type = bp_bundle_name_type(h->bundle, m->process, col->name, &kind);
    col->index = 0;
    if (kind == 'f' && !bp_field_index(h->bundle, m->process, col->name, &col->index)) kind = BP_NAME_NONE;
    bool twice = false;
    for (size_t k = 0; k < i && !twice && kind == 'f'; k++) twice = strcmp(m->cols[k].name, col->name) == 0;
    if ((kind != 'f' || twice) && ++bad <= SHOWN) {
      if (kind != 'f')
        fprintf(stderr, "%s:%d: column %zu: unknown column `%s`: not a field of the document of %s\n", m->csv_path,
                rec->line, i + 1, col->name, m->process);
      else
        fprintf(stderr, "%s:%d: column %zu: the column `%s` appears twice\n", m->csv_path, rec->line, i + 1, col->name);
    }
  }
  if (bad > SHOWN) fprintf(stderr, "%s:%d: and %zu more bad columns\n", m->csv_path, rec->line, bad - SHOWN);
  csv_cells_free(&cells);
  return bad == 0;
}

static void free_columns(Mass *m) {
  for (size_t i = 0; i < m->ncols; i++) free(m->cols[i].name);
  free(m->cols);
}

/* The rows after the header (blank lines are skipped), cut into chunks small enough for
 * every worker to have several, at most MAX_CHUNK rows. The size comes from the count of
 * line ends (rows can span lines, so there may be fewer rows): it only shares the work
 * out, and the output does not depend on it. */
static void make_chunks(Mass *m, size_t pos, int line, int jobs) {
  size_t lines = 1 + csv_line_ends(m->text + pos, m->len - pos);
  size_t size = lines / ((size_t)jobs * CHUNKS_PER_JOB);
  size = size < 1 ? 1 : size > MAX_CHUNK ? MAX_CHUNK : size;
  size_t row = 0, cap = 0;
  m->nchunks = 0;
  while (pos < m->len) {
    CsvRecord rec;
    csv_scan(m->text, m->len, pos, line, &rec);
    if (rec.start != rec.end || rec.error) {
      if (row % size == 0) {
        if (m->nchunks == cap) m->chunks = xrealloc(m->chunks, (cap = cap ? 2 * cap : 64) * sizeof *m->chunks);
        m->chunks[m->nchunks++] = (Chunk){.pos = pos, .line = line, .row = row + 1};
      }
      m->chunks[m->nchunks - 1].nrows++;
      row++;
    }
    pos = rec.next;
    line = rec.next_line;
  }
}

/* Chunks left for the one worker to cut as it reads (read_chunks), the first starting
 * at POS: a ring of as many as can be in flight (Mass.window), reused as they are
 * written, so their number need not be known (nor the file's lines counted) first. */
static void read_later(Mass *m, size_t pos, int line) {
  m->window = WINDOW_PER_JOB;
  m->nchunks = SIZE_MAX;
  m->chunks = xrealloc(NULL, m->window * sizeof *m->chunks);
  memset(m->chunks, 0, m->window * sizeof *m->chunks);
  m->chunks[0].pos = pos;
  m->chunks[0].line = line;
  m->reading = true;
}


/* Chunks left for the workers to cut as they take them (cut_chunk), of the size
 * make_chunks gives them: a ring of as many as can be in flight (JOBS * WINDOW_PER_JOB).
 * The scan that cuts them runs while the rows of the chunks cut before run, instead of
 * for the whole file before any row. */
static void cut_later(Mass *m, size_t pos, int line, int jobs) {
  size_t lines = 1 + csv_line_ends(m->text + pos, m->len - pos);
  size_t size = lines / ((size_t)jobs * CHUNKS_PER_JOB);
  m->cut_size = size < 1 ? 1 : size > MAX_CHUNK ? MAX_CHUNK : size;
  m->cut_pos = pos, m->cut_line = line, m->cut_row = 1;
  m->window = (size_t)jobs * WINDOW_PER_JOB;
  m->nchunks = SIZE_MAX;
  m->chunks = xrealloc(NULL, m->window * sizeof *m->chunks);
  memset(m->chunks, 0, m->window * sizeof *m->chunks);
  m->cutting = true;
}

/* ---- writing -------------------------------------------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct Progress {
  bool shown; /* stderr is a terminal */
  bool drawn; /* a bar is on the screen */
  double start, last;
} Progress;

static void progress_clear(Progress *p) {
  if (p->drawn) fputs("\r\033[K", stderr);
  p->drawn = false;
}

static void progress_draw(Progress *p, size_t done, size_t total, bool force) {
  if (!p->shown) return;
  double now = now_seconds();
  if (!force && now - p->last < 0.1) return;
  p->last = now;
  enum { WIDTH = 30 };
  int filled = total ? (int)(WIDTH * done / total) : WIDTH;
  char bar[WIDTH + 1];
  for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
  bar[WIDTH] = '\0';
  double rate = now > p->start ? (double)done / (now - p->start) : 0;
  fprintf(stderr, "\r[%s] %zu / %zu rows, %.0f rows/s\033[K", bar, done, total, rate);
  p->drawn = true;
}

static bool put_all(FILE *f, const char *s, size_t n) { return n == 0 || fwrite(s, 1, n, f) == n; }

/* Where the chunks go, in order: the output, the journal, the rows by status. */
typedef struct Writer {
  Mass *m;
  FILE *out, *journal;
  size_t total, done; /* rows: all (for the progress bar), and written */
  size_t *count;
  Progress *p;
} Writer;

/* Writes chunk K, done, and empties its slot; false when writing fails (the workers are
 * then stopped). */
static bool write_chunk(Writer *wr, size_t k) {
  Mass *m = wr->m;
  bool ok = true;
  Chunk *c = chunk_at(m, k);
  if (c->messages.len) {
    progress_clear(wr->p);
    fwrite(c->messages.s, 1, c->messages.len, stderr);
  }
  if (!put_all(wr->out, c->out.s, c->out.len)) {
    fprintf(stderr, "bprun mass: cannot write %s: %s\n", m->out_path, strerror(errno));
    ok = false;
  } else if (wr->journal && !put_all(wr->journal, c->journal, c->njournal)) {
    fprintf(stderr, "bprun mass: cannot write %s: %s\n", m->journal_path, strerror(errno));
    ok = false;
  }
  for (int i = 0; i < 4; i++) wr->count[i] += c->count[i];
  wr->done += c->nrows;
  csv_buf_free(&c->out);
  csv_buf_free(&c->messages);
  free(c->journal);
  c->journal = NULL;
  pthread_mutex_lock(&m->lock);
  c->done = false; /* (when reading, the slot is free for chunk k + window) */
  m->written++;
  if (!ok) m->stop = true;
  pthread_cond_broadcast(&m->changed);
  pthread_mutex_unlock(&m->lock);
  return ok;
}

/* Writes the chunks in order as the workers finish them; false when writing fails (the
 * workers are then stopped). Adds up the rows by status. */
static bool write_chunks(Writer *wr) {
  Mass *m = wr->m;
  for (size_t k = 0;; k++) {
    /* (m->nchunks goes down when a reading worker finds the end of the rows.) */
    pthread_mutex_lock(&m->lock);
    while (k < m->nchunks && !chunk_at(m, k)->done) pthread_cond_wait(&m->changed, &m->lock);
    bool more = k < m->nchunks, last = k + 1 == m->nchunks;
    pthread_mutex_unlock(&m->lock);
    if (!more) break;
    if (!write_chunk(wr, k)) {
      progress_clear(wr->p);
      return false;
    }
    progress_draw(wr->p, wr->done, wr->total, last);
  }
  progress_clear(wr->p);
  return true;
}

/* (Mass.reading, one job) The one worker in this thread, writing each chunk as soon as it
 * is done: the same chunks, rows and output as read_chunks and write_chunks in two
 * threads, without a thread woken and put to sleep for every chunk (some 800 context
 * switches in a run of 200,000 rows) and without the chunk's lines crossing to another
 * core. False when writing fails. (No progress bar: reading is chosen without one.) */
static bool read_and_write(Worker *w, Writer *wr) {
  Mass *m = w->m;
  size_t k = 0, row = 1;
  size_t pos = m->chunks[0].pos;
  int line = m->chunks[0].line;
  bool ok = true;
  while (ok && pos < m->len && read_chunk(w, chunk_at(m, k), &pos, &line, &row)) ok = write_chunk(wr, k++);
  m->nchunks = k;
  return ok;
}

/* ---- the command ------------------------------------------------------------------------------------ */

typedef struct Options {
  const char *bundle, *process, *documents, *out, *journal, *clock;
  int jobs;
} Options;

static int parse_options(int argc, char **argv, Options *o, Mass *m) {
  *o = (Options){.jobs = 1};
  m->params = xrealloc(NULL, (size_t)(argc ? argc : 1) * sizeof *m->params);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (!strcmp(a, "--documents") && has_value) o->documents = argv[++i];
    else if (!strcmp(a, "--out") && has_value) o->out = argv[++i];
    else if (!strcmp(a, "--journal") && has_value) o->journal = argv[++i];
    else if (!strcmp(a, "--clock") && has_value) o->clock = argv[++i];
    else if (!strcmp(a, "--jobs") && has_value) {
      char *end;
      long n = strtol(argv[++i], &end, 10);
      if (*end || n < 1 || n > MAX_JOBS) return misuse("--jobs needs a number from 1 to %d, not `%s`", MAX_JOBS, argv[i]);
      o->jobs = (int)n;
    } else if (a[0] == '-' && a[1]) return misuse("unknown option %s (or it needs a value)\n%s", a, usage_line);
    else if (!o->bundle) o->bundle = a;
    else if (!o->process) o->process = a;
    else if (strchr(a, '=') && strchr(a, '=') != a) m->params[m->nparams++] = argv[i];
    else return misuse("`%s` is not name=value\n%s", a, usage_line);
  }
  if (!o->bundle || !o->process) return misuse("a bundle and a process are needed\n%s", usage_line);
  if (!o->documents) return misuse("--documents IN.csv is needed\n%s", usage_line);
  if (!o->out) return misuse("--out OUT.csv is needed\n%s", usage_line);
  return EXIT_OK;
}

/* PATH opened for writing (outfile.h); its temporary file's name, if any, in tmp. */
static bool open_temp(OutFile *f, const char *path, char *tmp, size_t size) {
  if (!outfile_open(f, path)) return false;
  snprintf(tmp, size, "%s", f->tmp);
  return true;
}

static bool finish_file(OutFile *f, const char *path, bool ok) {
  if (ok && outfile_commit(f)) return true;
  if (ok) fprintf(stderr, "bprun mass: cannot write %s: %s\n", path, strerror(errno));
  else outfile_abort(f);
  return false;
}

/* The workers: each with its runtime and the parameters parsed in it; false with a
 * message when one cannot be made. */
static bool open_workers(Worker *w, int n, Mass *m, const uint8_t *bundle, size_t len) {
  for (int i = 0; i < n; i++) {
    char why[300];
    w[i] = (Worker){.m = m};
    host_init(&w[i].h);
    w[i].h.lean = true;
    w[i].h.journal = m->journal;
    w[i].h.alloc = pool_alloc;
    w[i].h.alloc_ud = &w[i].pool;
    if (!host_open(&w[i].h, bundle, len, why, sizeof why) || !parse_params(&w[i].h, m, &w[i].params, why, sizeof why)) {
      fprintf(stderr, "bprun mass: %s\n", why);
      for (int k = 0; k <= i; k++) {
        if (k < i) free_params(&w[k].h, w[k].params, m->nparams);
        host_close(&w[k].h);
        pool_free(&w[k].pool);
      }
      return false;
    }
    /* The process by index: its name is looked up here, not on every row (check_settings
     * found it in a runtime of the same bundle). */
    size_t nprocs = bp_bundle_process_count(w[i].h.bundle);
    while (w[i].process < nprocs && strcmp(bp_bundle_process_name(w[i].h.bundle, w[i].process), m->process) != 0)
      w[i].process++;
    w[i].fields = xrealloc(NULL, (m->ncols + 1) * sizeof *w[i].fields);
    w[i].index = xrealloc(NULL, (m->ncols + 1) * sizeof *w[i].index);
    w[i].owned = xrealloc(NULL, (m->ncols + 1) * sizeof *w[i].owned);
  }
  return true;
}

/* Frees the workers; false (with a message) if a runtime still holds memory. */
static bool close_workers(Worker *w, int n, Mass *m) {
  bool clean = true;
  for (int i = 0; i < n; i++) {
    free_params(&w[i].h, w[i].params, m->nparams);
    free(w[i].fields);
    free(w[i].index);
    free(w[i].owned);
    bp_instance_free(w[i].inst);
    csv_cells_free(&w[i].cells);
    csv_buf_free(&w[i].text);
    host_close(&w[i].h);
    if (w[i].pool.allocated) {
      fprintf(stderr, "bprun mass: the runtime still holds %zu bytes after freeing everything\n", w[i].pool.allocated);
      clean = false;
    }
    pool_free(&w[i].pool);
  }
  return clean;
}

/* OUT's and the journal's temporary files, to be removed if the run ends early. */
static bool open_outputs(const Options *o, OutFile *out, OutFile *journal) {
  journal->f = NULL;
  if (!open_temp(out, o->out, pending.out, sizeof pending.out)) {
    fprintf(stderr, "bprun mass: cannot write %s: %s\n", o->out, strerror(errno));
    return false;
  }
  if (o->journal && !open_temp(journal, o->journal, pending.journal, sizeof pending.journal)) {
    fprintf(stderr, "bprun mass: cannot write %s: %s\n", o->journal, strerror(errno));
    outfile_abort(out);
    return false;
  }
  arm_cleanup();
  return true;
}

static bool write_heads(const Mass *m, const Options *o, FILE *out, FILE *journal) {
  CsvBuf head = {0};
  if (m->bom) csv_buf_put(&head, "\xEF\xBB\xBF", 3);
  for (size_t i = 0; i < m->ncols; i++) {
    csv_put_cell(&head, m->cols[i].name, strlen(m->cols[i].name));
    csv_buf_put(&head, ",", 1);
  }
  csv_buf_put(&head, "status,message", 14);
  csv_buf_put(&head, m->eol, strlen(m->eol));
  bool ok = put_all(out, head.s, head.len);
  csv_buf_free(&head);
  if (journal) ok = ok && fprintf(journal, "# bprun journal: time, instance, process, node, text\n# %s\n", o->documents) > 0;
  return ok;
}

/* The worker threads run while this thread writes what they did; false when writing
 * failed or no thread could start. */
static bool run_workers(Mass *m, Worker *workers, int njobs, FILE *out, FILE *journal, size_t total,
                        size_t count[4], double start) {
  pthread_mutex_init(&m->lock, NULL);
  pthread_cond_init(&m->changed, NULL);
  if (!m->reading && !m->cutting) m->window = (size_t)njobs * WINDOW_PER_JOB; /* (else the ring's size) */
  Progress progress = {.shown = isatty(STDERR_FILENO), .start = start};
  Writer wr = {.m = m, .out = out, .journal = journal, .total = total, .count = count, .p = &progress};
  int started = 0;
  bool ok;
  if (m->reading && njobs == 1) {
    ok = read_and_write(&workers[0], &wr);
  } else {
    for (; started < njobs; started++)
      if (pthread_create(&workers[started].thread, NULL, work, &workers[started]) != 0) break;
    ok = started > 0 || njobs == 0;
    if (!ok) fprintf(stderr, "bprun mass: cannot start a thread\n");
    if (ok && !write_chunks(&wr)) ok = false;
  }
  for (int i = 0; i < started; i++) pthread_join(workers[i].thread, NULL);
  pthread_cond_destroy(&m->changed);
  pthread_mutex_destroy(&m->lock);
  if (m->cutting && m->nchunks > m->next) m->nchunks = m->next; /* stopped: those taken */
  for (size_t k = m->written; k < m->nchunks; k++) { /* done, never written */
    Chunk *c = chunk_at(m, k);
    csv_buf_free(&c->out);
    csv_buf_free(&c->messages);
    free(c->journal);
    c->journal = NULL;
  }
  return ok;
}

/* Runs the rows and writes OUT (and the journal). Returns the exit status. */
static int run_rows(Mass *m, const Options *o, const uint8_t *bundle, size_t bundle_len, size_t first_pos,
                    int first_line, double start) {
  /* Without a progress bar (which shows the number of rows from the start) the chunks
   * are cut as the rows run: with one job, as the worker reads them, so the rows are
   * scanned once, not twice; with more, as each worker takes the next chunk. */
  if (isatty(STDERR_FILENO)) make_chunks(m, first_pos, first_line, o->jobs);
  else if (o->jobs == 1) read_later(m, first_pos, first_line);
  else cut_later(m, first_pos, first_line, o->jobs);
  size_t total = 0, count[4] = {0};
  for (size_t k = 0; !m->reading && !m->cutting && k < m->nchunks; k++) total += m->chunks[k].nrows;
  OutFile out_file, journal_file;
  if (!open_outputs(o, &out_file, &journal_file)) return EXIT_MISUSE;
  FILE *out = out_file.f, *journal = journal_file.f;
  int njobs = m->nchunks < (size_t)o->jobs ? (int)m->nchunks : o->jobs;
  Worker *workers = xrealloc(NULL, (size_t)(njobs ? njobs : 1) * sizeof *workers);
  int failure = EXIT_MISUSE; /* what the run ending early means */
  bool ok = write_heads(m, o, out, journal), leaked = false;
  if (!ok) {
    fprintf(stderr, "bprun mass: cannot write %s: %s\n", o->out, strerror(errno));
  } else if (!open_workers(workers, njobs, m, bundle, bundle_len)) {
    ok = false;
    failure = EXIT_FAILED;
  } else {
    ok = run_workers(m, workers, njobs, out, journal, total, count, start);
    leaked = !close_workers(workers, njobs, m); /* the rows still count; the run fails */
  }
  free(workers);
  if (journal && !finish_file(&journal_file, o->journal, ok)) ok = false;
  if (!finish_file(&out_file, o->out, ok)) ok = false;
  pending.armed = 0;
  if (!ok) return failure;
  if (m->reading || m->cutting) total = count[ROW_COMPLETED] + count[ROW_TERMINATED] + count[ROW_FAILED] + count[ROW_BAD];
  double secs = now_seconds() - start;
  fprintf(stderr, "%zu rows: %zu completed, %zu terminated, %zu failed, %zu bad (%.2f s, %.0f rows/s)\n", total,
          count[ROW_COMPLETED], count[ROW_TERMINATED], count[ROW_FAILED], count[ROW_BAD], secs,
          secs > 0 ? (double)total / secs : 0.0);
  return leaked || count[ROW_FAILED] || count[ROW_BAD] ? EXIT_FAILED : EXIT_OK;
}

/* The run's settings checked in H's runtime: the clock, the process, its parameters. */
static int check_settings(Host *h, Mass *m, const Options *o) {
  char why[400];
  m->clock = (int64_t)time(NULL);
  if (o->clock) {
    BpValue v;
    BpError err = {0};
    if (bp_value_parse(h->rt, o->clock, strlen(o->clock), BP_T_DATETIME, &v, &err) != BP_OK)
      return misuse("--clock: %s", err.message);
    m->clock = v.i * 60;
  }
  if (!host_has_process(h, o->process)) return misuse("no process `%s` in %s", o->process, o->bundle);
  if (!try_start(h, m, why, sizeof why)) return misuse("%s", why);
  return EXIT_OK;
}

/* The CSV file's bytes: mapped when it is a regular file (no copy; the kernel reads the
 * pages in as the workers come to them, and they are the file's, not bprun's memory),
 * read whole otherwise (a pipe, a terminal). */
typedef struct Input {
  uint8_t *data;
  size_t len;
  bool mapped;
} Input;

static bool open_input(const char *path, Input *in, char *why, size_t size) {
  *in = (Input){0};
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uintmax_t)st.st_size <= SIZE_MAX)
      p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p != MAP_FAILED) {
      *in = (Input){p, (size_t)st.st_size, true};
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_bus_error;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGBUS, &sa, NULL);
      return true;
    }
  }
  return read_whole_file(path, &in->data, &in->len, why, size); /* it says why it cannot */
}

static void close_input(Input *in) {
  if (in->mapped) munmap(in->data, in->len);
  else free(in->data);
  *in = (Input){0};
}

/* The CSV file read into *in, its BOM skipped and its header checked; *pos and *line
 * say where the rows start. */
static int read_documents(Host *h, Mass *m, const Options *o, Input *in, size_t *pos, int *line) {
  char why[400];
  if (!open_input(o->documents, in, why, sizeof why)) return misuse("%s", why);
  m->text = (const char *)in->data;
  m->len = in->len;
  if (m->len >= 3 && memcmp(m->text, "\xEF\xBB\xBF", 3) == 0) {
    m->text += 3, m->len -= 3;
    m->bom = true;
  }
  CsvRecord head = {0};
  for (*pos = 0, *line = 1; *pos < m->len;) {
    csv_scan(m->text, m->len, *pos, *line, &head);
    *pos = head.next;
    *line = head.next_line;
    if (head.start != head.end || head.error) break;
  }
  if (head.start == head.end && !head.error) {
    fprintf(stderr, "bprun mass: %s: no header row (the first line names the columns)\n", o->documents);
    return EXIT_FAILED;
  }
  m->eol = head.crlf ? "\r\n" : "\n";
  for (size_t k = 0; k < sizeof status_names / sizeof *status_names; k++)
    m->tail_len[k] = (size_t)snprintf(m->tail[k], sizeof m->tail[k], ",%s,%s", status_names[k], m->eol);
  return read_header(h, m, &head) ? EXIT_OK : EXIT_FAILED;
}

/* Everything checked before a row runs — the bundle, the process, its parameters, the
 * clock, the file and its header — then the rows. */
static int mass(Mass *m, const Options *o, double start) {
  uint8_t *bundle;
  Input text = {0};
  size_t bundle_len, pos = 0;
  int line = 1;
  char why[400];
  if (!read_whole_file(o->bundle, &bundle, &bundle_len, why, sizeof why)) return misuse("%s", why);
  Host h;
  host_init(&h);
  int status = EXIT_FAILED;
  if (!host_open(&h, bundle, bundle_len, why, sizeof why)) fprintf(stderr, "bprun mass: %s: %s\n", o->bundle, why);
  else if ((status = check_settings(&h, m, o)) == EXIT_OK &&
           (status = read_documents(&h, m, o, &text, &pos, &line)) == EXIT_OK) {
    host_close(&h); /* the workers have their own */
    status = run_rows(m, o, bundle, bundle_len, pos, line, start);
  }
  host_close(&h);
  free_columns(m);
  free(m->chunks);
  close_input(&text);
  free(bundle);
  return status;
}

int mass_main(int argc, char **argv) {
  double start = now_seconds();
  Options o;
  Mass m = {0};
  int status = parse_options(argc, argv, &o, &m);
  if (status == EXIT_OK) {
    m.process = o.process;
    m.csv_path = o.documents;
    m.out_path = o.out;
    m.journal_path = o.journal;
    m.journal = o.journal != NULL;
    status = mass(&m, &o, start);
  }
  free(m.params);
  return status;
}

/* bpc_lsp.c — `bpc lsp`: a small Language Server on stdin and stdout.
 *
 * JSON-RPC 2.0 messages framed by `Content-Length` headers (the Language Server
 * Protocol, 3.17). What it answers: initialize, initialized, shutdown, exit;
 * textDocument/didOpen, didChange (whole text), didClose -> publishDiagnostics
 * (the compiler's own parse and check, in this process); hover (the declaration of
 * the name under the cursor and its type); definition (where that name is
 * declared); formatting (the text of `bpc fmt`).
 *
 * Every input is bounded: a message of at most JSON_MAX_TEXT bytes, a header line
 * of at most 1 KiB, at most LSP_MAX_DOCS open documents. A malformed message gets a
 * JSON-RPC error response (or, for a notification, is dropped), never a crash.
 * Positions are LSP's: 0-based lines, columns in UTF-16 code units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpc_diag.h"
#include "bpc_load.h"
#include "check.h"
#include "diag_code.h"
#include "fmt.h"
#include "json.h"
#include "parse.h"
#include "util.h"

int lsp_command(int argc, char **argv);

enum { LSP_MAX_DOCS = 256, LSP_MAX_HEADER = 1024 };
enum { RPC_PARSE_ERROR = -32700, RPC_INVALID_REQUEST = -32600, RPC_METHOD_NOT_FOUND = -32601,
       RPC_INVALID_PARAMS = -32602, RPC_NOT_INITIALIZED = -32002 };

typedef struct Doc {
  char *uri;
  Source *src;
  Program *prog;   /* the last parse (NULL when it had syntax errors) */
  bool checked;    /* prog went through the checker */
} Doc;

typedef struct Server {
  Doc docs[LSP_MAX_DOCS];
  uint32_t ndocs;
  bool initialized, shut_down;
  FILE *in, *out;
} Server;

/* ---- framing ----------------------------------------------------------------- */

static void send_body(Server *S, StrBuf *body) {
  fprintf(S->out, "Content-Length: %zu\r\n\r\n", body->len);
  fwrite(body->data, 1, body->len, S->out);
  fflush(S->out);
  sb_free(body);
}

/* The id of a request as JSON text (a number or a string), or "null". */
static void put_id(StrBuf *b, const JsonNode *id) {
  long long n;
  if (id && id->kind == JSON_STRING) json_put_string(b, id->string, id->len);
  else if (json_int(id, &n)) sb_printf(b, "%lld", n);
  else sb_puts(b, "null");
}

static void send_error(Server *S, const JsonNode *id, int code, const char *message) {
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
  put_id(&b, id);
  sb_printf(&b, ",\"error\":{\"code\":%d,\"message\":", code);
  json_put_string(&b, message, strlen(message));
  sb_puts(&b, "}}");
  send_body(S, &b);
}

/* Sends {"id": id, "result": RESULT} where result is JSON text. */
static void send_result(Server *S, const JsonNode *id, const char *result) {
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
  put_id(&b, id);
  sb_puts(&b, ",\"result\":");
  sb_puts(&b, result);
  sb_putc(&b, '}');
  send_body(S, &b);
}

/* Reads one message's body (malloc'd, *len bytes). Returns NULL at the end of the
 * input; *bad is set (and the body skipped) when the headers are malformed or the
 * body too long. */
static char *read_message(Server *S, size_t *len, const char **bad) {
  long long length = -1;
  char line[LSP_MAX_HEADER + 2];
  *bad = NULL;
  for (;;) {
    size_t n = 0;
    int c;
    while ((c = fgetc(S->in)) != EOF && c != '\n')
      if (n < LSP_MAX_HEADER) line[n++] = (char)c;
      else *bad = "a header line is too long";
    if (c == EOF) return NULL;
    if (n > 0 && line[n - 1] == '\r') n--;
    line[n] = '\0';
    if (n == 0) break; /* the blank line ends the headers */
    if (strncasecmp(line, "Content-Length:", 15) == 0) {
      char *end;
      length = strtoll(line + 15, &end, 10);
      while (*end == ' ' || *end == '\t') end++;
      if (*end != '\0' || length < 0) *bad = "Content-Length is not a number";
    }
  }
  if (!*bad && length < 0) *bad = "a message without Content-Length";
  if (*bad && length < 0) return xstrdup("");
  if (length > JSON_MAX_TEXT) *bad = "a message longer than 16 MiB";
  /* read (or, when too long, skip) the body */
  char *body = xmalloc(*bad ? 1 : (size_t)length + 1);
  for (long long i = 0; i < length; i++) {
    int c = fgetc(S->in);
    if (c == EOF) {
      free(body);
      return NULL;
    }
    if (!*bad) body[i] = (char)c;
  }
  *len = *bad ? 0 : (size_t)length;
  body[*len] = '\0';
  return body;
}

/* ---- positions: bytes <-> LSP line and UTF-16 column ------------------------------ */

typedef struct {
  uint32_t line, character;
} Pos;

static uint32_t utf16_units(const char *s, uint32_t n) {
  uint32_t units = 0, i = 0;
  while (i < n) {
    size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);
    if (k == 0) k = 1;
    units += k == 4 ? 2 : 1;
    i += (uint32_t)k;
  }
  return units;
}

static Pos pos_of(const Source *src, uint32_t off) {
  if (off > src->len) off = src->len;
  uint32_t line, col;
  source_position(src, off, &line, &col);
  uint32_t start = src->line_starts[line - 1];
  Pos p = {line - 1, utf16_units(src->text + start, off - start)};
  return p;
}

/* The byte offset of an LSP position (clamped to its line). */
static uint32_t offset_of(const Source *src, long long line, long long character) {
  if (line < 0) return 0;
  if (line >= src->nlines) return src->len;
  uint32_t i = src->line_starts[line];
  long long units = 0;
  while (i < src->len && src->text[i] != '\n' && units < character) {
    size_t k = utf8_seq_len((const unsigned char *)src->text + i, src->len - i);
    if (k == 0) k = 1;
    units += k == 4 ? 2 : 1;
    i += (uint32_t)k;
  }
  return i;
}

static void put_range(StrBuf *b, const Source *src, Span span) {
  Pos a = pos_of(src, span.off), z = pos_of(src, span.off + span.len);
  sb_printf(b, "{\"start\":{\"line\":%u,\"character\":%u},\"end\":{\"line\":%u,\"character\":%u}}",
            a.line, a.character, z.line, z.character);
}

/* ---- documents ------------------------------------------------------------------- */

static Doc *doc_find(Server *S, const char *uri) {
  for (uint32_t i = 0; i < S->ndocs; i++)
    if (strcmp(S->docs[i].uri, uri) == 0) return &S->docs[i];
  return NULL;
}

static void doc_clear(Doc *d) {
  parse_program_free(d->prog);
  source_free(d->src);
  d->prog = NULL;
  d->src = NULL;
}

/* Parses and checks the text, and publishes what was found. */
static void doc_analyse(Server *S, Doc *d, const char *text, size_t len) {
  doc_clear(d);
  char *copy = xmalloc(len + 2);
  memcpy(copy, text, len);
  copy[len] = '\0';
  d->src = source_new(d->uri, copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, d->src);
  diags.max_errors = 100;
  bool bp_text = !bpc_is_xml(text, len) && !bpc_is_bitrix(text, len);
  if (bp_text) {
    d->prog = parse_program(d->src, &diags);
    d->checked = diags.errors == 0;
    if (d->checked) check_program(d->prog, &diags);
    else {
      parse_program_free(d->prog);
      d->prog = NULL;
    }
  }
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\",\"params\":{\"uri\":");
  json_put_string(&b, d->uri, strlen(d->uri));
  sb_puts(&b, ",\"diagnostics\":[");
  uint32_t *order = diags_sorted(&diags);
  bool first = true;
  for (uint32_t k = 0; k < diags.n; k++) {
    const Diag *g = &diags.items[order[k]];
    if (g->level == DIAG_NOTE) continue;
    if (!first) sb_putc(&b, ',');
    first = false;
    sb_puts(&b, "{\"range\":");
    put_range(&b, d->src, g->span);
    sb_printf(&b, ",\"severity\":%d,\"source\":\"bpc\",\"code\":\"%s\",\"message\":",
              g->level == DIAG_ERROR ? 1 : 2, diag_code(g));
    json_put_string(&b, g->message, strlen(g->message));
    bool notes = false;
    for (uint32_t j = k + 1; j < diags.n && diags.items[order[j]].level == DIAG_NOTE; j++) {
      const Diag *n = &diags.items[order[j]];
      sb_puts(&b, notes ? "," : ",\"relatedInformation\":[");
      notes = true;
      sb_puts(&b, "{\"location\":{\"uri\":");
      json_put_string(&b, d->uri, strlen(d->uri));
      sb_puts(&b, ",\"range\":");
      put_range(&b, d->src, n->span);
      sb_puts(&b, "},\"message\":");
      json_put_string(&b, n->message, strlen(n->message));
      sb_putc(&b, '}');
    }
    if (notes) sb_putc(&b, ']');
    sb_putc(&b, '}');
  }
  free(order);
  diags_free(&diags);
  sb_puts(&b, "]}}");
  send_body(S, &b);
}

/* ---- names: hover and definition ------------------------------------------------ */

/* The identifier around off: [*start, *end). False when off is on none. */
static bool word_at(const Source *src, uint32_t off, uint32_t *start, uint32_t *end) {
#define IS_WORD(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
                    ((c) >= '0' && (c) <= '9') || (c) == '_' || ((unsigned char)(c) >= 0x80))
  uint32_t a = off, z = off;
  while (a > 0 && IS_WORD(src->text[a - 1])) a--;
  while (z < src->len && IS_WORD(src->text[z])) z++;
#undef IS_WORD
  if (a == z || (src->text[a] >= '0' && src->text[a] <= '9')) return false;
  *start = a;
  *end = z;
  return true;
}

typedef struct {
  const char *kind, *name;
  const char *type; /* as printed, or NULL */
  Span decl;
} Found;

static bool name_is(const char *name, const char *w, uint32_t n) {
  return name && strlen(name) == n && memcmp(name, w, n) == 0;
}

static const char *const sym_kind_name[] = {"field", "parameter", "variable", "constant",
                                            "step result", "loop variable", "state",
                                            "process", "action", "caught error"};

/* The declaration the word at off names: a symbol of the process around it (the
 * last declared before off, else the first), a field of its document, or a
 * document, action or process of the file. */
static bool lookup(const Program *p, uint32_t off, const char *w, uint32_t n, Found *f) {
  for (uint32_t i = 0; i < p->nitems; i++) {
    const Item *it = &p->items[i];
    if (it->kind != I_PROCESS) continue;
    const Process *pr = it->u.proc;
    if (off < pr->span.off || off > pr->span.off + pr->span.len || !pr->info) continue;
    const Symbol *best = NULL;
    for (uint32_t k = 0; k < pr->info->nsymbols; k++) {
      const Symbol *s = pr->info->symbols[k];
      if (!name_is(s->name, w, n)) continue;
      if (!best || s->decl_span.off <= off) best = s;
    }
    if (best) {
      f->kind = (unsigned)best->kind < sizeof sym_kind_name / sizeof *sym_kind_name
                    ? sym_kind_name[best->kind] : "name";
      f->name = best->name;
      f->type = best->type ? best->type->name : NULL;
      f->decl = best->decl_span;
      return true;
    }
    const Document *doc = pr->info->doc;
    for (uint32_t k = 0; doc && k < doc->nfields; k++)
      if (name_is(doc->fields[k].name.s, w, n)) {
        *f = (Found){"field", doc->fields[k].name.s, doc->fields[k].type.name.s, doc->fields[k].name.span};
        return true;
      }
  }
  for (uint32_t i = 0; i < p->nitems; i++) {
    const Item *it = &p->items[i];
    if (it->kind == I_DOCUMENT && name_is(it->u.doc->name.s, w, n)) {
      *f = (Found){"document", it->u.doc->name.s, NULL, it->u.doc->name.span};
      return true;
    }
    if (it->kind == I_ACTION && name_is(it->u.action->name.s, w, n)) {
      *f = (Found){"action", it->u.action->name.s, it->u.action->result.name.s, it->u.action->name.span};
      return true;
    }
    if (it->kind == I_PROCESS && name_is(it->u.proc->name.s, w, n)) {
      *f = (Found){"process", it->u.proc->name.s, NULL, it->u.proc->name.span};
      return true;
    }
  }
  return false;
}

/* The document and offset a textDocument/position request points at. */
static Doc *request_doc(Server *S, const JsonNode *params, uint32_t *off) {
  const char *uri = json_string(json_get(json_get(params, "textDocument"), "uri"));
  const JsonNode *pos = json_get(params, "position");
  long long line, character;
  Doc *d = uri ? doc_find(S, uri) : NULL;
  if (!d || !d->src || !json_int(json_get(pos, "line"), &line) ||
      !json_int(json_get(pos, "character"), &character))
    return NULL;
  *off = offset_of(d->src, line, character);
  return d;
}

static bool find_at(Doc *d, uint32_t off, Found *f) {
  uint32_t a, z;
  if (!d->prog || !d->checked || !word_at(d->src, off, &a, &z)) return false;
  return lookup(d->prog, off, d->src->text + a, z - a, f);
}

static void on_hover(Server *S, const JsonNode *id, const JsonNode *params) {
  uint32_t off;
  Doc *d = request_doc(S, params, &off);
  Found f;
  if (!d || !find_at(d, off, &f)) {
    send_result(S, id, "null");
    return;
  }
  /* the line of the declaration, as written */
  uint32_t line, col;
  source_position(d->src, f.decl.off, &line, &col);
  uint32_t start = d->src->line_starts[line - 1], end = start;
  while (end < d->src->len && d->src->text[end] != '\n' && end - start < 200) end++;
  while (start < end && (d->src->text[start] == ' ' || d->src->text[start] == '\t')) start++;
  StrBuf md, b;
  sb_init(&md);
  sb_printf(&md, "%s `%s`", f.kind, f.name);
  if (f.type) sb_printf(&md, ": %s", f.type);
  sb_printf(&md, "\n\n```bp\n");
  sb_putn(&md, d->src->text + start, end - start);
  sb_printf(&md, "\n```\n(line %u)", line);
  sb_init(&b);
  sb_puts(&b, "{\"contents\":{\"kind\":\"markdown\",\"value\":");
  json_put_string(&b, md.data, md.len);
  sb_puts(&b, "}}");
  send_result(S, id, b.data);
  sb_free(&md);
  sb_free(&b);
}

static void on_definition(Server *S, const JsonNode *id, const JsonNode *params) {
  uint32_t off;
  Doc *d = request_doc(S, params, &off);
  Found f;
  if (!d || !find_at(d, off, &f)) {
    send_result(S, id, "null");
    return;
  }
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "{\"uri\":");
  json_put_string(&b, d->uri, strlen(d->uri));
  sb_puts(&b, ",\"range\":");
  put_range(&b, d->src, f.decl);
  sb_putc(&b, '}');
  send_result(S, id, b.data);
  sb_free(&b);
}

static void on_formatting(Server *S, const JsonNode *id, const JsonNode *params) {
  const char *uri = json_string(json_get(json_get(params, "textDocument"), "uri"));
  Doc *d = uri ? doc_find(S, uri) : NULL;
  if (!d || !d->prog) { /* unknown, or with syntax errors: nothing to format */
    send_result(S, id, "null");
    return;
  }
  char *text = fmt_program(d->prog);
  size_t len = strlen(text);
  if (len == d->src->len && memcmp(text, d->src->text, len) == 0) {
    send_result(S, id, "[]");
  } else {
    StrBuf b;
    sb_init(&b);
    sb_puts(&b, "[{\"range\":");
    put_range(&b, d->src, span_make(0, d->src->len));
    sb_puts(&b, ",\"newText\":");
    json_put_string(&b, text, len);
    sb_puts(&b, "}]");
    send_result(S, id, b.data);
    sb_free(&b);
  }
  free(text);
}

/* ---- document notifications ------------------------------------------------------ */

static void log_message(Server *S, const char *text) {
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"method\":\"window/logMessage\",\"params\":{\"type\":2,\"message\":");
  json_put_string(&b, text, strlen(text));
  sb_puts(&b, "}}");
  send_body(S, &b);
}

static void on_open_or_change(Server *S, const JsonNode *params, bool open) {
  const JsonNode *td = json_get(params, "textDocument");
  const char *uri = json_string(json_get(td, "uri"));
  const JsonNode *text = open ? json_get(td, "text") : NULL;
  if (!open) { /* full sync: the last change holds the whole text */
    const JsonNode *changes = json_get(params, "contentChanges");
    if (changes && changes->kind == JSON_ARRAY && changes->len > 0)
      text = json_get(changes->items[changes->len - 1], "text");
  }
  if (!uri || !text || text->kind != JSON_STRING) {
    log_message(S, "bpc lsp: a document notification without uri or text was ignored");
    return;
  }
  Doc *d = doc_find(S, uri);
  if (!d) {
    if (S->ndocs == LSP_MAX_DOCS) {
      log_message(S, "bpc lsp: too many open documents (256); this one is not checked");
      return;
    }
    d = &S->docs[S->ndocs++];
    memset(d, 0, sizeof *d);
    d->uri = xstrdup(uri);
  }
  doc_analyse(S, d, text->string, text->len);
}

static void on_close(Server *S, const JsonNode *params) {
  const char *uri = json_string(json_get(json_get(params, "textDocument"), "uri"));
  Doc *d = uri ? doc_find(S, uri) : NULL;
  if (!d) return;
  doc_clear(d);
  free(d->uri);
  *d = S->docs[--S->ndocs];
}

static const char capabilities[] =
    "{\"capabilities\":{\"positionEncoding\":\"utf-16\",\"textDocumentSync\":{\"openClose\":true,"
    "\"change\":1},\"hoverProvider\":true,\"definitionProvider\":true,"
    "\"documentFormattingProvider\":true},\"serverInfo\":{\"name\":\"bpc\",\"version\":\"" BPC_VERSION "\"}}";

/* One message. Returns false after `exit`. */
static bool dispatch(Server *S, const JsonNode *msg, int *status) {
  if (!msg || msg->kind != JSON_OBJECT) {
    send_error(S, NULL, RPC_INVALID_REQUEST, "a JSON-RPC message is an object");
    return true;
  }
  const JsonNode *id = json_get(msg, "id");
  const char *method = json_string(json_get(msg, "method"));
  const JsonNode *params = json_get(msg, "params");
  if (id && id->kind != JSON_STRING && id->kind != JSON_NUMBER) {
    send_error(S, NULL, RPC_INVALID_REQUEST, "an id is a number or a string");
    return true;
  }
  if (!method) {
    if (id && !json_get(msg, "result") && !json_get(msg, "error"))
      send_error(S, id, RPC_INVALID_REQUEST, "a request without a method");
    return true; /* a response to us (we send no requests): nothing to do */
  }
  if (strcmp(method, "exit") == 0) {
    *status = S->shut_down ? 0 : 1;
    return false;
  }
  if (strcmp(method, "initialize") == 0) {
    if (!id) return true;
    S->initialized = true;
    send_result(S, id, capabilities);
    return true;
  }
  if (!S->initialized) {
    if (id) send_error(S, id, RPC_NOT_INITIALIZED, "the server is not initialized");
    return true;
  }
  if (S->shut_down) {
    if (id) send_error(S, id, RPC_INVALID_REQUEST, "the server is shut down; only exit is left");
    return true;
  }
  if (strcmp(method, "shutdown") == 0) {
    S->shut_down = true;
    if (id) send_result(S, id, "null");
  } else if (strcmp(method, "initialized") == 0 || strncmp(method, "$/", 2) == 0) {
    /* nothing to do */
  } else if (strcmp(method, "textDocument/didOpen") == 0) {
    on_open_or_change(S, params, true);
  } else if (strcmp(method, "textDocument/didChange") == 0) {
    on_open_or_change(S, params, false);
  } else if (strcmp(method, "textDocument/didClose") == 0) {
    on_close(S, params);
  } else if (!id) {
    /* an unknown notification is ignored */
  } else if (params && params->kind != JSON_OBJECT) {
    send_error(S, id, RPC_INVALID_PARAMS, "params must be an object");
  } else if (strcmp(method, "textDocument/hover") == 0) {
    on_hover(S, id, params);
  } else if (strcmp(method, "textDocument/definition") == 0) {
    on_definition(S, id, params);
  } else if (strcmp(method, "textDocument/formatting") == 0) {
    on_formatting(S, id, params);
  } else {
    send_error(S, id, RPC_METHOD_NOT_FOUND, "unknown method");
  }
  return true;
}

static const char lsp_help[] =
    "usage: bpc lsp\n"
    "A Language Server for editors, on stdin and stdout (JSON-RPC with Content-Length\n"
    "headers): diagnostics as you type, hover, go to definition, formatting.\n"
    "Exit status: 0 after shutdown and exit, 1 when the input ends or exit comes first.\n";

int lsp_command(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(lsp_help, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--stdio") == 0) continue; /* what editors pass; stdio is all there is */
    fprintf(stderr, "bpc: lsp: unknown argument '%s'\nTry 'bpc lsp --help'.\n", argv[i]);
    return 2;
  }
  static Server server;
  Server *S = &server;
  memset(S, 0, sizeof *S);
  S->in = stdin;
  S->out = stdout;
  int status = 1;
  for (;;) {
    size_t len = 0;
    const char *bad;
    char *body = read_message(S, &len, &bad);
    if (!body) break;
    if (bad) {
      send_error(S, NULL, RPC_PARSE_ERROR, bad);
      free(body);
      continue;
    }
    Arena arena;
    arena_init(&arena);
    const char *why = NULL;
    JsonNode *msg = json_parse(&arena, body, len, &why);
    bool go_on = true;
    if (!msg) send_error(S, NULL, RPC_PARSE_ERROR, why);
    else go_on = dispatch(S, msg, &status);
    arena_free(&arena);
    free(body);
    if (!go_on) break;
  }
  for (uint32_t i = 0; i < S->ndocs; i++) {
    doc_clear(&S->docs[i]);
    free(S->docs[i].uri);
  }
  return status;
}

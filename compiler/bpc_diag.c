/* bpc_diag.c — diagnostics as text, JSON and SARIF 2.1.0 (bpc_diag.h). */
#include "bpc_diag.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag_code.h"
#include "json.h"

typedef enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } ColorMode;

/* The options of this run of bpc, and the messages kept for JSON and SARIF. */
static BpcDiagFormat format = BPC_DIAG_TEXT;
static ColorMode color_mode = COLOR_AUTO;
static StrBuf kept;        /* JSON objects (or SARIF results), comma-separated */
static StrBuf kept_rules;  /* SARIF: one rule per code met, comma-separated */
static StrBuf seen_codes;  /* " code code ... " met so far */
static unsigned kept_count;

static const char *const severity_name[] = {"error", "warning", "note"};

int bpc_diag_option(const char *arg, bool formats_allowed) {
  if (strncmp(arg, "--color=", 8) == 0 || strcmp(arg, "--color") == 0) {
    const char *v = arg[7] == '=' ? arg + 8 : "always";
    if (strcmp(v, "auto") == 0) color_mode = COLOR_AUTO;
    else if (strcmp(v, "always") == 0) color_mode = COLOR_ALWAYS;
    else if (strcmp(v, "never") == 0) color_mode = COLOR_NEVER;
    else {
      fprintf(stderr, "bpc: --color takes auto, always or never, not '%s'\n", v);
      return -1;
    }
    return 1;
  }
  if (strncmp(arg, "--diagnostics-format=", 21) == 0) {
    const char *v = arg + 21;
    if (!formats_allowed) {
      fprintf(stderr, "bpc: --diagnostics-format is an option of `bpc check`\n");
      return -1;
    }
    if (strcmp(v, "text") == 0) format = BPC_DIAG_TEXT;
    else if (strcmp(v, "json") == 0) format = BPC_DIAG_JSON;
    else if (strcmp(v, "sarif") == 0) format = BPC_DIAG_SARIF;
    else {
      fprintf(stderr, "bpc: --diagnostics-format takes text, json or sarif, not '%s'\n", v);
      return -1;
    }
    return 1;
  }
  return 0;
}

BpcDiagFormat bpc_diag_format(void) { return format; }

/* As GCC: colours on a terminal unless told otherwise; NO_COLOR (set and not empty)
 * turns them off unless --color=always asks for them. */
static bool use_color(void) {
  if (color_mode != COLOR_AUTO) return color_mode == COLOR_ALWAYS;
  const char *no = getenv("NO_COLOR");
  if (no && *no) return false;
  const char *term = getenv("TERM");
  if (term && strcmp(term, "dumb") == 0) return false;
  return isatty(STDERR_FILENO);
}

typedef struct {
  uint32_t line, col, end_line, end_col;
} Range;

static Range range_of(const Diags *d, const Diag *g) {
  Range r;
  source_position(d->src, g->span.off, &r.line, &r.col);
  source_position(d->src, g->span.off + g->span.len, &r.end_line, &r.end_col);
  return r;
}

void bpc_diag_json(StrBuf *b, const Diags *d, uint32_t i) {
  const Diag *g = &d->items[i];
  Range r = range_of(d, g);
  sb_puts(b, "{\"file\":");
  json_put_string(b, d->src->path, strlen(d->src->path));
  sb_printf(b, ",\"line\":%u,\"column\":%u,\"end_line\":%u,\"end_column\":%u", r.line, r.col,
            r.end_line, r.end_col);
  sb_printf(b, ",\"severity\":\"%s\",\"code\":\"%s\",\"message\":", severity_name[g->level],
            diags_code_at(d, i));
  json_put_string(b, g->message, strlen(g->message));
  size_t fix_len;
  const char *fix = diag_fix(g, &fix_len);
  if (fix) {
    sb_puts(b, ",\"fix\":{\"replacement\":");
    json_put_string(b, fix, fix_len);
    sb_putc(b, '}');
  }
  sb_putc(b, '}');
}

/* A path as a relative URI reference: bytes outside the unreserved set and `/` escaped. */
static void put_uri(StrBuf *b, const char *path) {
  StrBuf u;
  sb_init(&u);
  sb_putn(&u, "", 0);
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        strchr("-._~/", *p))
      sb_putc(&u, (char)*p);
    else
      sb_printf(&u, "%%%02X", *p);
  }
  json_put_string(b, u.data, u.len);
  sb_free(&u);
}

static void put_location(StrBuf *b, const Diags *d, const Diag *g) {
  Range r = range_of(d, g);
  sb_puts(b, "{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
  put_uri(b, d->src->path);
  sb_printf(b, "},\"region\":{\"startLine\":%u,\"startColumn\":%u,\"endLine\":%u,\"endColumn\":%u}}",
            r.line, r.col, r.end_line, r.end_col);
}

/* SARIF lists each code once among the run's rules. */
static void keep_rule(const char *code) {
  StrBuf key;
  sb_init(&key);
  sb_printf(&key, " %s ", code);
  if (!seen_codes.data || !strstr(seen_codes.data, key.data)) {
    sb_puts(&seen_codes, seen_codes.len ? key.data + 1 : key.data);
    if (kept_rules.len) sb_putc(&kept_rules, ',');
    sb_puts(&kept_rules, "{\"id\":");
    json_put_string(&kept_rules, code, strlen(code));
    sb_putc(&kept_rules, '}');
  }
  sb_free(&key);
}
/* A SARIF result for message i, its notes (the messages after it) as related locations. */
static void put_result(StrBuf *b, const Diags *d, const uint32_t *order, uint32_t k) {
  const Diag *g = &d->items[order[k]];
  static const char *const sarif_level[] = {"error", "warning", "note"};
  const char *code = diags_code_at(d, order[k]);
  sb_puts(b, "{\"ruleId\":");
  json_put_string(b, code, strlen(code));
  sb_printf(b, ",\"level\":\"%s\",\"message\":{\"text\":", sarif_level[g->level]);
  json_put_string(b, g->message, strlen(g->message));
  sb_puts(b, "},\"locations\":[");
  put_location(b, d, g);
  sb_puts(b, "}]");
  uint32_t notes = 0;
  for (uint32_t j = k + 1; j < d->n && d->items[order[j]].level == DIAG_NOTE; j++) {
    const Diag *n = &d->items[order[j]];
    sb_puts(b, notes++ ? "," : ",\"relatedLocations\":[");
    put_location(b, d, n);
    sb_puts(b, ",\"message\":{\"text\":");
    json_put_string(b, n->message, strlen(n->message));
    sb_puts(b, "}}");
  }
  if (notes) sb_putc(b, ']');
  size_t fix_len;
  const char *fix = diag_fix(g, &fix_len);
  if (fix) {
    Range r = range_of(d, g);
    sb_puts(b, ",\"fixes\":[{\"description\":{\"text\":\"did you mean this?\"},"
               "\"artifactChanges\":[{\"artifactLocation\":{\"uri\":");
    put_uri(b, d->src->path);
    sb_printf(b, "},\"replacements\":[{\"deletedRegion\":{\"startLine\":%u,\"startColumn\":%u,"
                 "\"endLine\":%u,\"endColumn\":%u},\"insertedContent\":{\"text\":",
              r.line, r.col, r.end_line, r.end_col);
    json_put_string(b, fix, fix_len);
    sb_puts(b, "}}]}]}]");
  }
  sb_putc(b, '}');
  keep_rule(code);
}

/* The messages as text on stderr, made in memory and written at once: stderr is
 * unbuffered, and a program with many warnings cost a write call for every piece
 * of every message (about 70 a message). */
static void print_text(Diags *d) {
  bool color = use_color();
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem) { /* no memory for the buffer: piece by piece, as before */
    diags_print_color(d, stderr, color);
    return;
  }
  diags_print_color(d, mem, color);
  if (fclose(mem) == 0) fwrite(text, 1, len, stderr);
  else diags_print_color(d, stderr, color);
  free(text);
}

void bpc_diag_emit(Diags *d) {
  if (format == BPC_DIAG_TEXT) {
    print_text(d);
    return;
  }
  uint32_t *order = diags_sorted(d);
  for (uint32_t k = 0; k < d->n; k++) {
    if (format == BPC_DIAG_SARIF && d->items[order[k]].level == DIAG_NOTE) continue;
    if (kept_count++) sb_puts(&kept, ",\n");
    if (format == BPC_DIAG_JSON) bpc_diag_json(&kept, d, order[k]);
    else put_result(&kept, d, order, k);
  }
  free(order);
}

void bpc_diag_finish(FILE *out) {
  if (format == BPC_DIAG_JSON) {
    fprintf(out, "[%s%s%s]\n", kept_count ? "\n" : "", kept.data ? kept.data : "", kept_count ? "\n" : "");
  } else if (format == BPC_DIAG_SARIF) {
    fprintf(out,
            "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
            "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"bpc\",\"version\":\"%s\","
            "\"rules\":[%s]}},"
            "\"columnKind\":\"unicodeCodePoints\",\"results\":[\n%s\n]}]}\n",
            BPC_VERSION, kept_rules.data ? kept_rules.data : "", kept.data ? kept.data : "");
  }
  sb_free(&kept);
  sb_free(&kept_rules);
  sb_free(&seen_codes);
  kept_count = 0;
}

/* One message of an importer (BPMN, Bitrix): a file, a line (0: none), no span. */
void bpc_diag_import(const char *path, uint32_t line, bool error, const char *code, const char *message) {
  const char *level = error ? "error" : "warning";
  if (format == BPC_DIAG_TEXT) { /* as the importers always printed them */
    if (line) fprintf(stderr, "%s:%u: %s: %s\n", path, line, level, message);
    else fprintf(stderr, "%s: %s: %s\n", path, level, message);
    return;
  }
  if (kept_count++) sb_puts(&kept, ",\n");
  if (format == BPC_DIAG_JSON) {
    sb_puts(&kept, "{\"file\":");
    json_put_string(&kept, path, strlen(path));
    if (line) sb_printf(&kept, ",\"line\":%u,\"column\":1", line);
    sb_printf(&kept, ",\"severity\":\"%s\",\"code\":\"%s\",\"message\":", level, code);
    json_put_string(&kept, message, strlen(message));
    sb_putc(&kept, '}');
  } else {
    sb_puts(&kept, "{\"ruleId\":");
    json_put_string(&kept, code, strlen(code));
    sb_printf(&kept, ",\"level\":\"%s\",\"message\":{\"text\":", level);
    json_put_string(&kept, message, strlen(message));
    sb_puts(&kept, "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
    put_uri(&kept, path);
    sb_putc(&kept, '}');
    if (line) sb_printf(&kept, ",\"region\":{\"startLine\":%u,\"startColumn\":1}", line);
    sb_puts(&kept, "}}]}");
    keep_rule(code);
  }
}

void bpc_diag_import_lines(const char *path, const char *text, const char *error_code,
                           const char *warning_code) {
  if (format == BPC_DIAG_TEXT) {
    fputs(text, stderr);
    return;
  }
  size_t plen = strlen(path);
  StrBuf one;
  sb_init(&one);
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    if (n == 0) {
      p += nl ? 1 : 0;
      continue;
    }
    one.len = 0;
    sb_putn(&one, p, n);
    const char *msg = one.data;
    bool error = true;
    if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0) {
      const char *rest = msg + plen + 2;
      if (strncmp(rest, "error: ", 7) == 0) msg = rest + 7;
      else if (strncmp(rest, "warning: ", 9) == 0) msg = rest + 9, error = false;
    }
    bpc_diag_import(path, 0, error, error ? error_code : warning_code, msg);
    p += n + (nl ? 1 : 0);
  }
  sb_free(&one);
}

/* diag_code.c — the table of diagnostic codes (docs/diagnostics.md, "Codes").
 *
 * Each row is a code and a pattern matched against the message's format (or against
 * the message when the format starts with a placeholder, as the parser's and the
 * unknown-name messages do): a prefix, or with a leading `*` a part found anywhere.
 * The first row that matches gives the code, so more particular rows come first.
 * A code, once given, is never reused for another kind of message. */
#include "diag_code.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
  const char *code, *pattern;
} CodeRow;

/* The importers' messages have codes of their own, given where they are shown
 * (bpc_diag_import: bpmn-error, bpmn-warning, bitrix-error, bitrix-warning); the
 * table is for the `.bp` front end's messages. */
static const CodeRow code_table[] = {
    /* scanner */
    {"bad-character", "unexpected character"},
    {"bad-character", "unexpected byte"},
    {"unterminated-string", "unterminated string"},
    {"bad-escape", "invalid escape"},
    {"bad-utf8", "invalid UTF-8"},
    {"date-format", "a date is written year-month-day"},
    {"bad-number", "invalid number"},
    {"number-too-large", "*too large"},
    {"decimal-digits", "a decimal may have at most"},
    {"too-deep", "nesting deeper than"},
    {"too-deep", "expression nested deeper"},
    {"too-deep", "this expression is nested too deeply"},
    {"too-many-values", "this expression keeps"},
    {"too-many-values", "this %s keeps"}, /* an action call's or a `start`'s arguments */
    {"unclosed-brace", "this `{` in a string starts an expression"},
    {"type-mismatch", "expected a user or users"},
    /* parser */
    {"syntax", "unexpected "},
    {"syntax", "expected "},
    {"syntax", "unknown mode"},
    {"syntax", "`remind` goes before"},
    {"syntax", "only `"},
    {"syntax", "`mode vote` needs"},
    {"syntax", "an error code to catch is a string literal"},
    {"syntax", "`start on create` takes no fields"},
    {"duplicate-clause", "duplicate `"},
    {"bad-trigger", "`start on change` needs the fields"},
    {"bad-field", "`request` needs the fields"},
    /* declarations */
    {"duplicate", "duplicate "},
    {"duplicate", "`%s` is already declared"},
    {"duplicate", "a process has only one"},
    {"unknown-parameter", "`%s` has no parameter"},
    {"unknown-name", "unknown "},
    {"no-member", "*has no member"},
    {"bad-default", "the default of"},
    {"not-plain-text", "*must be plain text"},
    {"needs-type", "parameter `%s` needs a type"},
    {"needs-type", "variable `%s` needs a type"},
    {"needs-type", "constant `%s` needs a value"},
    {"needs-type", "the type of `%s` cannot be told"},
    {"use-before-declaration", "`%s` is used before its declaration"},
    {"use-before-declaration", "`%s` is used in its own declaration"},
    {"not-constant", "constant `%s` must be computed"},
    {"constant-division-by-zero", "division by zero in a constant"},
    {"constant-overflow", "this constant does not fit"},
    {"bad-trigger", "`when` "},
    /* expressions */
    {"action-in-expression", "action `%s` cannot be called inside an expression"},
    {"not-text", "*cannot be shown as text"},
    {"caught-error", "`%s` is a caught error"},
    {"argument-count", "`%s` takes "},
    {"argument-type", "argument %u of"},
    {"bad-date", "invalid %s"},
    {"operand-type", "cannot add"},
    {"operand-type", "cannot subtract"},
    {"operand-type", "cannot multiply"},
    {"operand-type", "cannot divide"},
    {"operand-type", "cannot negate"},
    {"operand-type", "cannot compare"},
    {"operand-type", "cannot look for"},
    {"operand-type", "`%%` needs"},
    {"operand-type", "`not` needs"},
    {"operand-type", "`in` needs"},
    {"operand-type", "`%s` needs bool operands"},
    {"operand-type", "`%s` needs two numbers"},
    {"operand-type", "`for` needs a list"},
    {"type-mismatch", "a list cannot mix"},
    {"type-mismatch", "there are no lists of"},
    {"type-mismatch", "the two sides of `? :`"},
    {"type-mismatch", "cannot initialize"},
    {"type-mismatch", "cannot assign %s to"},
    {"condition-type", "condition must be"},
    /* statements */
    {"assign-readonly", "cannot assign to"},
    {"empty-list", "no one to"},
    {"empty-list", "no one may run this command"},
    {"clause-not-allowed", "`mode"},
    {"clause-not-allowed", "`wait all` is only allowed"},
    {"clause-not-allowed", "`%s` is only allowed inside"},
    {"clause-not-allowed", "`goto` is only allowed"},
    {"bad-percentage", "a vote percentage"},
    {"bad-percentage", "vote percentage must be"},
    {"needs-due", "`remind` needs a `due`"},
    {"needs-due", "`on timeout` needs a `due`"},
    {"needs-duration", "`due` needs"},
    {"needs-duration", "`remind` needs"},
    {"needs-duration", "`wait` needs"},
    {"needs-duration", "`wait until` needs"},
    {"needs-duration", "`%s` needs a duration"},
    {"needs-duration", "`times` needs"},
    {"needs-duration", "`on timeout times` needs"},
    {"negative-count", "`on timeout times %lld`: a count of runs cannot be negative"},
    {"endless-escalation", "this escalation never stops"},
    {"bad-field", "a %s can only fill"},
    {"bad-field", "`%s` is declared as"},
    {"bad-field", "`%s` is asked twice"},
    {"bad-field", "`%s` is taken twice"},
    {"bad-field", "`%s` is not a document field"},
    {"bad-field", "a message field has no label"},
    {"bad-field", "a message name"},
    {"bad-jump", "`%s` outside a loop"},
    {"bad-jump", "`%s` cannot leave"},
    {"bad-error-code", "an error code"},
    {"unreachable-catch", "this `catch` never runs"},
    {"unreachable", "unreachable statement"},
    {"not-an-action", "`%s` is a built-in function"},
    {"no-result", "action `%s` has no result"},
    {"wrong-document", "process `%s` runs on"},
    {"wrong-document", "process `%s` has no document"},
    {"bad-argument", "parameter `%s` is given twice"},
    {"bad-argument", "missing parameter"},
    {"bad-argument", "parameter `%s` of `%s` must be"},
    {"type-mismatch", "%s must be %s, not %s"},
    /* states */
    {"empty-states", "a `states` block needs"},
    {"statements-outside-states", "a process with states has no statements at its top level"},
    {"final-state-commands", "final state"},
    {"unreachable-state", "state `%s` can never be reached"},
    {"no-final-state", "no final state can be reached"},
    {"idle-loop", "this loop can go round"},
    /* warnings */
    {"endless-loop", "this loop has no way out"},
    {"unused-variable", "variable `%s` is never used"},
    {"unused-result", "result `%s` is never used"},
};

static bool row_matches(const char *pattern, const char *key) {
  if (pattern[0] == '*') return strstr(key, pattern + 1) != NULL;
  return strncmp(key, pattern, strlen(pattern)) == 0;
}

static const char *code_of(const char *key) {
  for (size_t i = 0; i < sizeof code_table / sizeof code_table[0]; i++)
    if (row_matches(code_table[i].pattern, key)) return code_table[i].code;
  return NULL;
}

const char *diag_code(const Diag *g) {
  /* The format names the kind unless it starts with a placeholder ("%s", "%s `%s`"):
   * then the message does, and the format after it. */
  bool placeholder = !g->fmt || strncmp(g->fmt, "%s", 2) == 0;
  const char *code = placeholder ? code_of(g->message) : code_of(g->fmt);
  if (!code && g->fmt) code = placeholder ? code_of(g->fmt) : code_of(g->message);
  if (code) return code;
  return g->level == DIAG_WARNING ? "warning" : "error";
}

const char *diags_code_at(const Diags *d, uint32_t i) {
  while (i > 0 && d->items[i].level == DIAG_NOTE) i--;
  return diag_code(&d->items[i]);
}

const char *diag_fix(const Diag *g, size_t *len) {
  static const char marker[] = "; did you mean `";
  const char *at = strstr(g->message, marker);
  if (!at) return NULL;
  const char *start = at + sizeof marker - 1;
  const char *end = strstr(start, "`?");
  if (!end || end == start) return NULL;
  *len = (size_t)(end - start);
  return start;
}

/* keyword.c — the reserved words of `.bp` (keyword.h). */
#include "keyword.h"

#include <string.h>

static const char *const words[] = {
    "action",  "add",     "after",    "and",    "approve",  "branch", "break",    "by",
    "catch",   "command", "const",    "continue", "document", "due",  "else",     "enter",
    "false",   "final",   "for",      "goto",   "if",       "in",     "log",      "loop",
    "mode",    "not",     "notify",   "on",     "or",       "parallel", "param",  "process",
    "reassign", "remind", "request",  "review", "start",    "states", "task",     "terminate",
    "throw",   "true",    "try",      "until",  "var",      "wait",   "when",     "while",
};

bool bp_reserved_word(const char *s) {
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp(words[i], s) == 0) return true;
  return false;
}

/* keyword.h — the reserved words of `.bp`: the words the scanner (grammar/lexer.l)
 * turns into keyword tokens, which no name may be spelt as. The importers use it to
 * give a name spelt like one a suffix; tests/tools/editor_words.py checks that the
 * list here is exactly the scanner's. */
#ifndef BPC_KEYWORD_H
#define BPC_KEYWORD_H

#include <stdbool.h>

bool bp_reserved_word(const char *s);

#endif

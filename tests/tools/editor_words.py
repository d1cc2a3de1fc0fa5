#!/usr/bin/env python3
"""editor_words.py — every keyword the scanner knows is in the editor files.

The words are read from the sources, so the editor files cannot drift from them:
grammar/lexer.l (each `"word" { return TK_...; }` rule, and the words the `wait`
rule tells apart with strcmp) and the unit words of durations (`5 days`,
compiler/front/lex.c) for .bp, and runtime/bprun/scn.c (the commands and
the words after `expect`) for .scn. Each must be a `syn keyword` of the Vim syntax
and a word of a `match` of the TextMate grammar. Prints one line per missing word
saying where to add it, then `N passed, N failed`."""
import json, re, sys

def lexer_words(path):
    words = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r'^"([a-z_]+)"\s*\{\s*return TK_', line)
        if m:
            words.setdefault(m.group(1), n)
        for w in re.findall(r'strcmp\([^,]*,\s*"([a-z_]+)"\)', line):
            words.setdefault(w, n)
    return words

def scn_words(path):
    words = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        for w in re.findall(r'strcmp\((?:cmd|w\[[0-9]\])\s*,\s*"([a-z_]+)"\)', line):
            words.setdefault(w, n)
    return words

def vim_words(path):
    words = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith("syn keyword"):
            words.update(line.split()[3:])
    return words

def textmate_words(path):
    words = set()
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("match", "begin") and isinstance(v, str):
                    words.update(re.findall(r"[a-z_]+", v))
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(json.load(open(path, encoding="utf-8")))
    return words

def unit_words(path):
    """The unit words a count may be followed by (`5 days`): compiler/front/lex.c's table."""
    words = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        for w in re.findall(r'\{"([a-z]+)",\s*\'[mhdw]\'\}', line):
            words.setdefault(w, n)
    return words

def vim_matches(path):
    """The words of the patterns of `syn match` lines."""
    words = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith("syn match"):
            words.update(re.findall(r"[a-z_]+", line.split(None, 3)[3]))
    return words

passed = failed = 0
checks = [
    ("grammar/lexer.l", lexer_words("grammar/lexer.l"),
     [("editors/vim/syntax/bp.vim", vim_words, "a `syn keyword` line"),
      ("editors/textmate/bp.tmLanguage.json", textmate_words, "the `match` of a pattern")]),
    ("compiler/front/lex.c", unit_words("compiler/front/lex.c"),
     [("editors/vim/syntax/bp.vim", vim_matches, "the `syn match bpDuration` of a count and a unit word"),
      ("editors/textmate/bp.tmLanguage.json", textmate_words, "the duration pattern of a count and a unit word")]),
    ("runtime/bprun/scn.c", scn_words("runtime/bprun/scn.c"),
     [("editors/vim/syntax/scn.vim", vim_words, "a `syn keyword` line"),
      ("editors/textmate/scn.tmLanguage.json", textmate_words, "the `match` of a pattern")]),
]
for source, words, editors in checks:
    if len(words) < (8 if source.endswith("lex.c") else 10):
        print(f"FAIL: editors: only {len(words)} words read from {source}: has its form changed?")
        failed += 1
        continue
    for path, reader, where in editors:
        have = reader(path)
        for w, line in sorted(words.items()):
            if w in have:
                passed += 1
            else:
                failed += 1
                print(f"FAIL: editors: keyword `{w}` ({source}:{line}) is missing from {path}: add it to {where}")
# The reserved words the importers avoid (compiler/base/keyword.c) are exactly the
# scanner's keyword tokens: a name spelt like a missing one would not parse.
tokens = set()
for line in open("grammar/lexer.l", encoding="utf-8"):
    m = re.match(r'^"([a-z_]+)"\s*\{\s*return TK_', line)
    if m:
        tokens.add(m.group(1))
src = open("compiler/base/keyword.c", encoding="utf-8").read()
listed = set(re.findall(r'"([a-z_]+)"', src[src.index("words[] = {"):src.index("};")]))
for w in sorted(tokens | listed):
    if w in tokens and w in listed:
        passed += 1
    elif w in tokens:
        failed += 1
        print(f"FAIL: keywords: `{w}` is a keyword of grammar/lexer.l but not a reserved word of compiler/base/keyword.c")
    else:
        failed += 1
        print(f"FAIL: keywords: `{w}` is a reserved word of compiler/base/keyword.c but no keyword of grammar/lexer.l")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

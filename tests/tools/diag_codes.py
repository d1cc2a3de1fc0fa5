#!/usr/bin/env python3
"""diag_codes.py — every message the `.bp` front end can emit has a code, and every code
is explained in docs/diagnostics.md.

tests/tools/diagnostics.py checks the codes of the messages tests/golden/ happens to
produce; this reads the sources, so a message no golden file reaches cannot slip through
with the fallback code `error` or `warning`:
  - every `diag_error`/`diag_warning` call of the scanner, the parser and the checker
    (compiler/front, compiler/check, grammar/) is read for its format, and the format is
    given a code the way compiler/base/diag_code.c gives it (its table, first match; a
    format that starts with a placeholder is coded by its message);
  - a format that is only a placeholder (`"%s"`) passes on a message made elsewhere: the
    places that make those (WRAPPERS below) are read for their literal messages, which
    are coded the same way; a new `"%s"` call site that is not in WRAPPERS fails, so that
    it is added here;
  - every code of the table, and each code the importers give (compiler/bpc_load.c,
    compiler/bpc_bitrix.c), is a row of docs/diagnostics.md's table of codes, and every
    row of that table is a code something gives.
Prints one line per failure, then `N passed, N failed`."""
import glob, re, sys

passed = failed = 0

def fail(name, why):
    global failed
    failed += 1
    print(f"FAIL: codes/{name}: {why}")

def ok():
    global passed
    passed += 1

def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)

def literals(text):
    """The C string literals of text, concatenated (adjacent literals are one string)."""
    return "".join(unescape(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text))

def call_args(src, start):
    """The top-level arguments of the call whose `(` is just before src[start]."""
    i, depth, cur, args, in_str = start, 1, "", [], False
    while depth:
        c = src[i]
        if in_str:
            cur += c
            if c == "\\":
                cur += src[i + 1]
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            cur += c
        elif c in "([{":
            depth += 1
            cur += c
        elif c in ")]}":
            depth -= 1
            if depth:
                cur += c
        elif c == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    args.append(cur.strip())
    return args

def calls(path, fn):
    src = open(path, encoding="utf-8").read()
    # (the declaration and definition of fn have types before their parameters)
    for m in re.finditer(r"\b" + fn + r"\s*\(", src):
        args = call_args(src, m.end())
        if any(re.match(r"(const\s+)?(char|Parser|Checker|Diags|Expr|Span)\b", a) for a in args):
            continue
        yield src.count("\n", 0, m.start()) + 1, args

# The table of compiler/base/diag_code.c, in its order.
table_src = open("compiler/base/diag_code.c", encoding="utf-8").read()
table = [(c, unescape(p)) for c, p in
         re.findall(r'\{"([a-z0-9-]+)",\s*"((?:[^"\\]|\\.)*)"\}', table_src)]
if len(table) < 50:
    fail("table", f"only {len(table)} rows read from compiler/base/diag_code.c: has its form changed?")

def code_of(key):
    for code, pattern in table:
        if pattern.startswith("*"):
            if pattern[1:] in key:
                return code
        elif key.startswith(pattern):
            return code
    return None

def coded(where, fmt, message=None):
    """Gives fmt (or, for a placeholder format, message) its code as diag_code() does."""
    placeholder = fmt.startswith("%s")
    code = code_of(message if placeholder and message is not None else fmt)
    if code is None and placeholder:
        code = code_of(fmt)
    if code is None:
        fail("every message has a code",
             f"{where}: {(message or fmt)[:90]!r} matches no row of compiler/base/diag_code.c "
             "(add one, and its code to docs/diagnostics.md)")
    else:
        ok()
    return code

# A format that starts with a placeholder is coded by the message, whose start is passed
# in. Where that is a parameter of the function around the call, its callers' literal
# arguments are the messages; where it is made in the function (a local), WRAPPERS says
# where its texts come from: `why = "..."` assignments of a folder, or a literal prefix.
WRAPPERS = {
    ("compiler/check/check.c", "why"): ("compiler/check", "why"),
    ("compiler/check/check_stmt.c", "why"): ("compiler/check", "why"),
    ("compiler/front/parse.c", "b.data"): "unexpected ",
    # member_owner(): "`name`" or "a TYPE"
    ("compiler/check/check_expr.c", "what"): "`x`",
}

def enclosing(src, pos):
    """The name and parameter names of the C function around src[pos]."""
    heads = list(re.finditer(r"^[A-Za-z_][\w \t*]*?\b(\w+)\(([^)]*)\)\s*\{", src[:pos], re.M))
    if not heads:
        return None, []
    h = heads[-1]
    params = [re.findall(r"(\w+)\s*(?:\[\s*\])?$", a.strip()) for a in h.group(2).split(",")]
    return h.group(1), [p[0] if p else "" for p in params]

def placeholder_messages(path, line, args, fmt):
    """The messages a call with a format starting with `%s` can make, each with where."""
    src = open(path, encoding="utf-8").read()
    pos = sum(len(l) + 1 for l in src.split("\n")[:line - 1])
    fn, params = enclosing(src, pos)
    first = args[3] if len(args) > 3 else ""
    rest = fmt[2:].replace("%s", "x")
    out = []
    if first in params:
        n = params.index(first)
        for p2 in sources:
            for l2, a2 in calls(p2, fn):
                if len(a2) > n and a2[n].startswith('"'):
                    out.append((f"{p2}:{l2}", literals(a2[n]) + rest))
        if not out:
            fail("wrapper", f"{path}:{line}: no caller of {fn} passes `{first}` a literal")
        return out
    feed = WRAPPERS.get((path, first))
    used_wrappers.add((path, first))
    if feed is None:
        fail("wrapper", f"{path}:{line}: a message made in {fn} from `{first}`: say in WRAPPERS where its texts come from")
    elif isinstance(feed, str):
        out.append((f"{path}:{line}", feed + rest))
    else:
        folder, var = feed
        for p2 in sorted(glob.glob(folder + "/*.c")):
            s2 = open(p2, encoding="utf-8").read()
            for m in re.finditer(r"\b" + var + r'\s*=\s*("(?:[^"\\]|\\.)*")', s2):
                out.append((f"{p2}:{s2.count(chr(10), 0, m.start()) + 1}", literals(m.group(1)) + rest))
        if not out:
            fail("wrapper", f"no `{var} = \"...\"` in {folder}: update WRAPPERS")
    return out

sources = sorted(glob.glob("compiler/front/*.c") + glob.glob("compiler/check/*.c") +
                 glob.glob("grammar/*.y") + glob.glob("grammar/*.l"))
seen_codes = set()
used_wrappers = set()
for path in sources:
    for fn in ("diag_error", "diag_warning"):
        for line, args in calls(path, fn):
            if len(args) < 3 or not args[2].startswith('"'):
                fail("literal format", f"{path}:{line}: {fn} with a format that is no literal")
                continue
            fmt = literals(args[2])
            if fmt.startswith("%s"):
                for where, message in placeholder_messages(path, line, args, fmt):
                    seen_codes.add(coded(where, fmt, message))
            else:
                seen_codes.add(coded(f"{path}:{line}", fmt))
for key in sorted(set(WRAPPERS) - used_wrappers):
    fail("wrapper", f"{key[0]} makes no message from `{key[1]}` any more: update WRAPPERS")

# The parser's syntax errors: every message that parse_syntax_error builds starts so.
if 'sb_printf(&b, "unexpected %s"' not in open("compiler/front/parse.c", encoding="utf-8").read():
    fail("wrapper", "compiler/front/parse.c no longer starts its message with `unexpected `")

documented = re.findall(r"^\| `([a-z0-9-]+)` \|", open("docs/diagnostics.md", encoding="utf-8").read(), re.M)
importer = set()
for p in ("compiler/bpc_load.c", "compiler/bpc_bitrix.c"):
    importer.update(re.findall(r'"((?:bpmn|bitrix)-(?:error|warning))"', open(p, encoding="utf-8").read()))
if len(importer) != 4:
    fail("importer codes", f"read {sorted(importer)} from compiler/bpc_load.c and compiler/bpc_bitrix.c")
given = {c for c, _ in table} | importer
for code in sorted(given):
    if code in documented:
        ok()
    else:
        fail("documented", f"code `{code}` is not in docs/diagnostics.md's table of codes")
for code in documented:
    if code in given:
        ok()
    else:
        fail("documented", f"docs/diagnostics.md lists `{code}`, which nothing gives")
if len(documented) != len(set(documented)):
    fail("documented", "docs/diagnostics.md lists a code twice")
unreached = sorted({c for c, _ in table} - seen_codes)
for code in unreached:
    fail("table", f"no message of the sources reaches code `{code}` (a stale row of compiler/base/diag_code.c?)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

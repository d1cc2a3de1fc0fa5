#!/usr/bin/env python3
"""lsp.py BPC — `bpc lsp` driven by a scripted JSON-RPC session.

Sends, in one go: a malformed body, a request before initialize, initialize,
initialized, didOpen of a file with errors (tests/golden/name_unknown_in_expr.bp,
with a Cyrillic line to check UTF-16 columns), didChange to samples/simple_vote.bp,
hover and definition on names of it, formatting of a badly laid-out copy, an unknown
method, bad ids and params, a message without Content-Length, one too long, a body
that is not an object, then shutdown, a request after it and exit. Checks each
answer, the diagnostics against `bpc check --diagnostics-format=json`, and the exit
status 0. Prints one line per failure and `N passed, N failed`."""
import json, subprocess, sys

bpc = sys.argv[1]
passed = failed = 0

def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: lsp/{name}: {why}")

def frame(body):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return b"Content-Length: %d\r\n\r\n" % len(data) + data

def req(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return frame(m)

def note(method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    return frame(m)

bad_uri = "file:///work/bad.bp"
good_uri = "file:///work/simple_vote.bp"
ugly_uri = "file:///work/ugly.bp"
bad_text = open("tests/golden/name_unknown_in_expr.bp", encoding="utf-8").read()
bad_text = "# Проверка: колонки UTF-16\n" + bad_text
good_text = open("samples/simple_vote.bp", encoding="utf-8").read()
ugly_text = good_text.replace("  param voters", "      param    voters")
lines = good_text.split("\n")
use_line = next(i for i, l in enumerate(lines) if l.startswith("  approve voters"))
decl_line = next(i for i, l in enumerate(lines) if "param voters" in l)
title_line = next(i for i, l in enumerate(lines) if l.strip().startswith("title:"))
interp_line = next(i for i, l in enumerate(lines) if "Vote on {title}" in l)

session = b"".join([
    frame("{not json"),                                        # -> parse error, id null
    req(1, "textDocument/hover", {}),                           # -> not initialized
    req(2, "initialize", {"processId": None, "rootUri": None, "capabilities": {}}),
    note("initialized", {}),
    note("textDocument/didOpen", {"textDocument": {"uri": bad_uri, "languageId": "bp", "version": 1, "text": bad_text}}),
    note("textDocument/didOpen", {"textDocument": {"uri": good_uri, "languageId": "bp", "version": 1, "text": bad_text}}),
    note("textDocument/didChange", {"textDocument": {"uri": good_uri, "version": 2}, "contentChanges": [{"text": good_text}]}),
    req(3, "textDocument/hover", {"textDocument": {"uri": good_uri}, "position": {"line": use_line, "character": 11}}),
    req(4, "textDocument/definition", {"textDocument": {"uri": good_uri}, "position": {"line": use_line, "character": 11}}),
    req(5, "textDocument/hover", {"textDocument": {"uri": good_uri}, "position": {"line": interp_line, "character": lines[interp_line].index("{title}") + 2}}),
    req(6, "textDocument/hover", {"textDocument": {"uri": good_uri}, "position": {"line": 0, "character": 0}}),
    note("textDocument/didOpen", {"textDocument": {"uri": ugly_uri, "languageId": "bp", "version": 1, "text": ugly_text}}),
    req(7, "textDocument/formatting", {"textDocument": {"uri": ugly_uri}, "options": {"tabSize": 2, "insertSpaces": True}}),
    req(8, "textDocument/formatting", {"textDocument": {"uri": good_uri}, "options": {}}),
    req(9, "workspace/unknownThing", {}),
    frame({"jsonrpc": "2.0", "id": {"x": 1}, "method": "shutdown"}),  # bad id
    req(10, "textDocument/hover", [1, 2]),                        # params not an object
    b"Content-Type: nothing\r\n\r\n",                             # no Content-Length
    b"Content-Length: 99999999999\r\n\r\n",                       # too long (and the input ends inside it?) no:
])
# The too-long message above would swallow the rest; send it last instead.
session = session[: -len(b"Content-Length: 99999999999\r\n\r\n")]
session += b"".join([
    frame("[1, 2, 3]"),                                         # not an object
    frame('{"jsonrpc":"2.0","id":11,"method":"textDocument/hover","params":{"textDocument":{"uri":"\\ud800"}}}'),
    req(12, "shutdown"),
    req(13, "textDocument/hover", {}),                          # after shutdown
    note("exit"),
])

p = subprocess.run([bpc, "lsp"], input=session, capture_output=True, timeout=60)
check("exit status", p.returncode == 0, f"exit status {p.returncode}, stderr {p.stderr[:300]!r}")

# split the answers
out, msgs = p.stdout, []
while out:
    head, sep, rest = out.partition(b"\r\n\r\n")
    if not sep:
        check("framing", False, f"trailing bytes {out[:80]!r}")
        break
    n = int(head.split(b":")[1])
    msgs.append(json.loads(rest[:n].decode("utf-8")))
    out = rest[n:]
by_id = {m["id"]: m for m in msgs if "id" in m and m.get("id") is not None}
nulls = [m for m in msgs if "id" in m and m["id"] is None]
diags = [m["params"] for m in msgs if m.get("method") == "textDocument/publishDiagnostics"]

check("parse error", any(m.get("error", {}).get("code") == -32700 for m in nulls), f"no -32700 among {nulls}")
check("not initialized", by_id.get(1, {}).get("error", {}).get("code") == -32002, f"{by_id.get(1)}")
caps = by_id.get(2, {}).get("result", {}).get("capabilities", {})
check("initialize", caps.get("hoverProvider") and caps.get("definitionProvider") and
      caps.get("documentFormattingProvider") and caps.get("textDocumentSync", {}).get("change") == 1, f"{by_id.get(2)}")

# diagnostics of the bad file: the same as bpc check's JSON, in LSP positions
import os, tempfile
with tempfile.NamedTemporaryFile("w", suffix=".bp", delete=False, encoding="utf-8") as t:
    t.write(bad_text)
want = json.loads(subprocess.run([bpc, "check", "--diagnostics-format=json", t.name], capture_output=True).stdout)
os.unlink(t.name)
def utf16_col(line_no, col):  # 1-based line and character column -> UTF-16 units
    text_line = bad_text.split("\n")[line_no - 1]
    return len(text_line[: col - 1].encode("utf-16-le")) // 2
want_l = [(d["line"] - 1, utf16_col(d["line"], d["column"]), d["code"], d["message"]) for d in want if d["severity"] != "note"]
first = [d for d in diags if d["uri"] == bad_uri]
got_l = [(d["range"]["start"]["line"], d["range"]["start"]["character"], d["code"], d["message"]) for d in first[0]["diagnostics"]] if first else None
check("diagnostics", got_l == want_l and len(want_l) > 0, f"got {got_l}, want {want_l}")
good = [d for d in diags if d["uri"] == good_uri]
check("didChange", len(good) == 2 and good[0]["diagnostics"] and good[1]["diagnostics"] == [],
      f"publishes for {good_uri}: {good}")

hover = by_id.get(3, {}).get("result") or {}
value = hover.get("contents", {}).get("value", "")
check("hover", "parameter `voters`: users" in value and "param voters: users" in value, f"{by_id.get(3)}")
loc = by_id.get(4, {}).get("result") or {}
check("definition", loc.get("uri") == good_uri and loc.get("range", {}).get("start", {}).get("line") == decl_line
      and loc["range"]["start"]["character"] == lines[decl_line].index("voters"), f"{by_id.get(4)}")
value = ((by_id.get(5, {}).get("result") or {}).get("contents") or {}).get("value", "")
check("hover in a string", "field `title`: string" in value, f"{by_id.get(5)}")
check("hover on a comment", 6 in by_id and by_id[6].get("result") is None, f"{by_id.get(6)}")

with tempfile.NamedTemporaryFile("w", suffix=".bp", delete=False, encoding="utf-8") as t:
    t.write(ugly_text)
formatted = subprocess.run([bpc, "fmt", t.name], capture_output=True).stdout.decode("utf-8")
os.unlink(t.name)
edits = by_id.get(7, {}).get("result")
check("formatting", isinstance(edits, list) and len(edits) == 1 and edits[0]["newText"] == formatted
      and edits[0]["range"]["start"] == {"line": 0, "character": 0}, f"{edits}")
check("formatting, formatted", by_id.get(8, {}).get("result") == [], f"{by_id.get(8)}")
check("unknown method", by_id.get(9, {}).get("error", {}).get("code") == -32601, f"{by_id.get(9)}")
check("bad id", sum(1 for m in nulls if m.get("error", {}).get("code") == -32600) >= 2, f"{nulls}")
check("bad params", by_id.get(10, {}).get("error", {}).get("code") == -32602, f"{by_id.get(10)}")
check("no Content-Length", any("Content-Length" in m.get("error", {}).get("message", "") for m in nulls), f"{nulls}")
check("lone surrogate", 11 in by_id and by_id[11].get("result") is None, f"{by_id.get(11)}")
check("shutdown", 12 in by_id and by_id[12].get("result") is None and "error" not in by_id[12], f"{by_id.get(12)}")
check("after shutdown", by_id.get(13, {}).get("error", {}).get("code") == -32600, f"{by_id.get(13)}")

# a message longer than the limit is refused and skipped; exit before shutdown is status 1
big = b"Content-Length: 20000000\r\n\r\n" + b" " * 20000000 + note("exit")
p = subprocess.run([bpc, "lsp"], input=big, capture_output=True, timeout=60)
check("too long", p.returncode == 1 and b"longer than" in p.stdout, f"exit {p.returncode}, {p.stdout[:200]!r}")
# the input ending in the middle of a message
p = subprocess.run([bpc, "lsp"], input=b"Content-Length: 50\r\n\r\n{\"jsonrpc\"", capture_output=True, timeout=60)
check("cut input", p.returncode == 1 and not p.stderr, f"exit {p.returncode}, {p.stderr[:200]!r}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

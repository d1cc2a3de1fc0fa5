#!/usr/bin/env python3
"""diagnostics.py BPC FILE... — `bpc check` as text, JSON and SARIF says the same.

For every file: the text output (--color=never) is read back into (line, column,
severity, message) tuples; the JSON array and the SARIF log (results, and their notes
as related locations) must hold exactly those, in that order, with the same exit
status; every code must be a real one (not the fallback `error`/`warning`) and be
listed in docs/diagnostics.md; ranges must end after they start and, on one line,
be as wide as the caret's `^~~~`; a "did you mean `x`" message must carry fix x.
Also: --color=always colours (GCC's SGR codes), a pipe never does, a terminal does
(auto) unless NO_COLOR or TERM=dumb, NO_COLOR is honoured. Prints one line per failure, then `N passed, N failed`."""
import json, os, re, subprocess, sys

bpc, files = sys.argv[1], sys.argv[2:]
passed = failed = 0
documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", open("docs/diagnostics.md", encoding="utf-8").read(), re.M))

def fail(name, why):
    global failed
    failed += 1
    print(f"FAIL: diagnostics/{name}: {why}")

def ok():
    global passed
    passed += 1

def run(args, env=None):
    p = subprocess.run([bpc, "check"] + args, capture_output=True, timeout=60, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

HEAD = re.compile(r"^(.*?):(\d+):(\d+): (error|warning|note): (.*)$")

def text_diags(err):
    out, lines = [], err.split("\n")
    for i, line in enumerate(lines):
        m = HEAD.match(line)
        if m:
            caret = lines[i + 2] if i + 2 < len(lines) else ""
            width = len(caret.split("|", 1)[1].strip()) if "|" in caret else 0
            out.append((int(m.group(2)), int(m.group(3)), m.group(4), m.group(5), width))
    return out

for f in files:
    name = os.path.basename(f)
    rc_t, _, err = run(["--color=never", f])
    text = text_diags(err)
    rc_j, out_j, err_j = run(["--diagnostics-format=json", f])
    rc_s, out_s, _ = run(["--diagnostics-format=sarif", f])
    if not text:
        fail(name, "the text output has no diagnostics")
        continue
    if rc_t != rc_j or rc_t != rc_s:
        fail(name, f"exit status text {rc_t}, json {rc_j}, sarif {rc_s}")
    else:
        ok()
    if HEAD.search(err_j or ""):
        fail(name, "json mode still prints text diagnostics on stderr")
    try:
        js = json.loads(out_j)
    except ValueError as e:
        fail(name, f"json does not parse: {e}")
        continue
    got = [(d["line"], d["column"], d["severity"], d["message"]) for d in js]
    want = [t[:4] for t in text]
    if got != want:
        fail(name, f"json {got} differs from text {want}")
    else:
        ok()
    for d, t in zip(js, text):
        for key in ("file", "line", "column", "end_line", "end_column", "severity", "code", "message"):
            if key not in d:
                fail(name, f"json object without `{key}`: {d}")
        if d["file"] != f:
            fail(name, f"json file {d['file']!r}, not {f!r}")
        if d["code"] in ("error", "warning"):
            fail(name, f"`{d['message']}` has no code: add a row to compiler/base/diag_code.c and docs/diagnostics.md")
        elif d["code"] not in documented:
            fail(name, f"code `{d['code']}` is not in docs/diagnostics.md's table of codes")
        else:
            ok()
        if (d["end_line"], d["end_column"]) < (d["line"], d["column"]):
            fail(name, f"range ends before it starts: {d}")
        elif d["end_line"] == d["line"] and d["end_column"] < 160 and t[4] and t[4] != max(1, d["end_column"] - d["column"]):
            fail(name, f"range {d['column']}..{d['end_column']} but the caret is {t[4]} wide: {d['message']}")
        else:
            ok()
        m = re.search(r"; did you mean `([^`]+)`\?", d["message"])
        if m and d.get("fix", {}).get("replacement") != m.group(1):
            fail(name, f"no fix `{m.group(1)}` in {d}")
        elif not m and "fix" in d:
            fail(name, f"a fix without a suggestion: {d}")
    try:
        sarif = json.loads(out_s)
    except ValueError as e:
        fail(name, f"sarif does not parse: {e}")
        continue
    run0 = sarif["runs"][0]
    flat = []
    for r in run0["results"]:
        loc = r["locations"][0]["physicalLocation"]["region"]
        level = r["level"]
        flat.append((loc["startLine"], loc["startColumn"], level, r["message"]["text"]))
        for rel in r.get("relatedLocations", []):
            reg = rel["physicalLocation"]["region"]
            flat.append((reg["startLine"], reg["startColumn"], "note", rel["message"]["text"]))
    rules = {r["id"] for r in run0["tool"]["driver"]["rules"]}
    if sarif.get("version") != "2.1.0" or flat != want:
        fail(name, f"sarif {flat} differs from text {want}")
    elif not all(r["ruleId"] in rules for r in run0["results"]):
        fail(name, "a result's ruleId is not among the driver's rules")
    else:
        ok()

# colour: always colours, a pipe does not, NO_COLOR does not stop --color=always
if files:
    f = files[0]
    _, _, plain = run([f])
    _, _, always = run(["--color=always", f])
    env = dict(os.environ, NO_COLOR="1")
    _, _, no_color_always = run(["--color=always", f], env)
    if "\033[" in plain:
        fail("color", "a pipe got colours (auto)")
    elif "\033[01;31merror:" not in always and "\033[01;35mwarning:" not in always:
        fail("color", "--color=always printed no GCC colours")
    elif "\033[01;32m^" not in always:
        fail("color", "--color=always did not colour the caret green")
    elif re.sub(r"\033\[[0-9;]*m", "", always) != plain:
        fail("color", "the coloured text is not the plain text with colours")
    elif "\033[" not in no_color_always:
        fail("color", "--color=always gave in to NO_COLOR")
    else:
        ok()
    # auto on a terminal: coloured as with always, unless NO_COLOR or TERM=dumb says no
    def on_terminal(extra):
        import pty
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="xterm")
        env.pop("NO_COLOR", None)
        env.update(extra)
        subprocess.run([bpc, "check", f], stdout=subprocess.DEVNULL, stderr=slave, env=env, timeout=60)
        os.close(slave)
        got = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal is closed once all is read
                break
            if not chunk:
                break
            got += chunk
        os.close(master)
        return got.decode("utf-8", "replace").replace("\r\n", "\n")
    tty, tty_no_color, tty_dumb = on_terminal({}), on_terminal({"NO_COLOR": "1"}), on_terminal({"TERM": "dumb"})
    if tty != always:
        fail("color", f"auto on a terminal is not what --color=always prints: {tty[:120]!r}")
    elif "\033[" in tty_no_color or "\033[" in tty_dumb:
        fail("color", "auto on a terminal coloured despite NO_COLOR or TERM=dumb")
    else:
        ok()
    rc, _, err = run(["--color=sometimes", f])
    if rc != 2 or "--color takes auto, always or never" not in err:
        fail("color", f"--color=sometimes: exit {rc}, {err!r}")
    else:
        ok()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

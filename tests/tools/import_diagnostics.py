#!/usr/bin/env python3
"""import_diagnostics.py BPC FILE... — the importers' messages (BPMN, Bitrix24) as
text, JSON and SARIF say the same.

For every file (a .bpmn model or a .bpt template): the text lines of `bpc check`
(`FILE:LINE: error|warning: message`, or `FILE: ...` with no line) are read back into
(file, line, severity, message) tuples; the JSON array and the SARIF log must hold
exactly those, in that order, with column 1 where there is a line, the same exit
status, nothing left as text on stderr, and codes listed in docs/diagnostics.md.
Together the files must give errors and warnings. Prints `N passed, N failed`."""
import json, re, subprocess, sys

bpc, files = sys.argv[1], sys.argv[2:]
passed = failed = 0
documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", open("docs/diagnostics.md", encoding="utf-8").read(), re.M))

def fail(name, why):
    global failed
    failed += 1
    print(f"FAIL: import_diagnostics/{name}: {why}")

def run(args):
    p = subprocess.run([bpc, "check"] + args, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

def text_diags(path, err):
    out = []
    for line in err.splitlines():
        if not line.startswith(path + ":"):
            return None, f"a text line not of the importer's form: {line!r}"
        m = re.match(r"^(\d+): (error|warning): (.*)$", line[len(path) + 1:]) or \
            re.match(r"^() (error|warning): (.*)$", line[len(path) + 1:])
        if not m:
            return None, f"cannot read {line!r}"
        out.append((path, int(m.group(1)) if m.group(1) else None, m.group(2), m.group(3)))
    return out, None

seen = set()
for f in files:
    name = f.rsplit("/", 1)[-1]
    rc, _, err = run(["--color=never", f])
    want, why = text_diags(f, err)
    if want is None:
        fail(name, why)
        continue
    seen.update(d[2] for d in want)
    rc_j, out_j, err_j = run(["--diagnostics-format=json", f])
    rc_s, out_s, err_s = run(["--diagnostics-format=sarif", f])
    if rc_j != rc or rc_s != rc:
        fail(name, f"exit status text {rc}, json {rc_j}, sarif {rc_s}")
        continue
    if err_j or err_s:
        fail(name, f"text left on stderr: {(err_j or err_s)[:200]!r}")
        continue
    try:
        js, sarif = json.loads(out_j), json.loads(out_s)
    except ValueError as e:
        fail(name, f"not JSON: {e}")
        continue
    got = [(d["file"], d.get("line"), d["severity"], d["message"]) for d in js]
    if got != want:
        fail(name, f"json {got[:3]} != text {want[:3]}")
        continue
    if any(("line" in d) != ("column" in d) or d.get("column", 1) != 1 for d in js):
        fail(name, "json: a column other than 1, or a column without a line")
        continue
    results = sarif["runs"][0]["results"]
    got_s = []
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        reg = loc.get("region")
        got_s.append((loc["artifactLocation"]["uri"], reg["startLine"] if reg else None, r["level"], r["message"]["text"]))
    # the uri escapes nothing in these corpus paths
    if got_s != want:
        fail(name, f"sarif {got_s[:3]} != text {want[:3]}")
        continue
    codes = {d["code"] for d in js} | {r["ruleId"] for r in results}
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    if not codes <= documented or not {r["ruleId"] for r in results} <= rules:
        fail(name, f"codes {sorted(codes)} not all documented or not all SARIF rules")
        continue
    passed += 1

if seen != {"error", "warning"}:
    fail("all", f"the files give only {sorted(seen)}: pick files with errors and warnings")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

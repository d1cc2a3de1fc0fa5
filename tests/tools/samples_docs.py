#!/usr/bin/env python3
"""samples_docs.py BPC — the samples are the twenty seed processes, each documented.

  - every samples/NAME.bp starts with a comment naming its seed id (`# S9 Invoice ...`),
    and the ids are S1 to S20, each once;
  - every sample has its main-path scenario samples/NAME.scn;
  - docs/samples.md has one section `## Sn ...` per sample, in order, that names the sample,
    shows docs/samples/NAME.svg and gives the `bprun test` command of each of its scenarios;
  - docs/samples/NAME.svg says what `bpc render` draws from the sample now: the same
    titles and texts (docs/samples.sh redraws them);
  - every command and every word after `expect` that a scenario may use
    (runtime/bprun/scn.c) is explained in docs/scenarios.md.
Prints one line per failure, then `N passed, N failed`."""
import glob, os, re, subprocess, sys, tempfile

bpc = sys.argv[1]
passed = failed = 0

def check(name, cond, why):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: samples/{name}: {why}")

samples = sorted(glob.glob("samples/*.bp"))
ids = {}
for path in samples:
    name = os.path.basename(path)[:-3]
    first = open(path, encoding="utf-8").readline()
    m = re.match(r"# (S([0-9]+)) \S", first)
    check(f"{name} id", m, f"{path} does not start with `# Sn Title: ...`: {first.strip()!r}")
    if m:
        check(f"{name} id", m.group(1) not in ids, f"{m.group(1)} is also {ids.get(m.group(1))}")
        ids[m.group(1)] = name
    check(f"{name} scenario", os.path.isfile(f"samples/{name}.scn"), f"no samples/{name}.scn")
want = [f"S{i}" for i in range(1, 21)]
check("S1-S20", sorted(ids, key=lambda s: int(s[1:])) == want,
      f"ids {sorted(ids, key=lambda s: int(s[1:]))}, want S1 to S20")

doc = open("docs/samples.md", encoding="utf-8").read()
sections = re.split(r"^## ", doc, flags=re.M)[1:]
by_id = {}
for sec in sections:
    m = re.match(r"(S[0-9]+) ", sec)
    if m:
        by_id[m.group(1)] = sec
order = [re.match(r"(S[0-9]+) ", s).group(1) for s in sections if re.match(r"S[0-9]+ ", s)]
check("docs order", order == want, f"docs/samples.md has sections {order}, want S1 to S20 in order")
def svg_words(path):
    """What a diagram says: its titles and texts, sorted. Graphviz places them a pixel
    apart and in another order from one build (or allocator) to another, so the bytes and
    the coordinates are not compared."""
    text = open(path, encoding="utf-8").read()
    return sorted(re.findall(r"<title>([^<]*)</title>", text) + re.findall(r"<text[^>]*>([^<]*)</text>", text))

# Under AddressSanitizer, Graphviz's own leaks are suppressed as tests/dot.sh does.
render_env = dict(os.environ)
if render_env.get("ASAN_OPTIONS"):
    render_env["ASAN_OPTIONS"] += ":fast_unwind_on_malloc=0"
    render_env["LSAN_OPTIONS"] = f"suppressions={os.getcwd()}/tests/lsan-graphviz.supp:print_suppressions=0"
with tempfile.TemporaryDirectory() as tmp:
    for sid, name in sorted(ids.items(), key=lambda kv: int(kv[0][1:])):
        sec = by_id.get(sid, "")
        check(f"{name} docs", sec, f"docs/samples.md has no section `## {sid} ...`")
        if not sec:
            continue
        check(f"{name} docs", f"`samples/{name}.bp`" in sec, f"section {sid} does not name samples/{name}.bp")
        check(f"{name} docs", f"](samples/{name}.svg)" in sec, f"section {sid} does not show samples/{name}.svg")
        check(f"{name} docs", f"bpc compile samples/{name}.bp -o {name}.bpt" in sec,
              f"section {sid} does not give `bpc compile samples/{name}.bp -o {name}.bpt`")
        for scn in sorted(glob.glob(f"samples/{name}.scn") + glob.glob(f"samples/{name}.*.scn")):
            check(f"{name} docs", f"bprun test {name}.bpt {scn}" in sec,
                  f"section {sid} does not give `bprun test {name}.bpt {scn}`")
        svg = f"docs/samples/{name}.svg"
        out = os.path.join(tmp, name + ".svg")
        p = subprocess.run([bpc, "render", f"samples/{name}.bp", "-T", "svg", "-o", out],
                           capture_output=True, timeout=60, env=render_env)
        if p.returncode != 0:
            check(f"{name} svg", False, f"bpc render: exit {p.returncode}: {p.stderr[:200]!r}")
        elif not os.path.isfile(svg):
            check(f"{name} svg", False, f"no {svg} (sh docs/samples.sh draws it)")
        else:
            new, old = svg_words(out), svg_words(svg)
            check(f"{name} svg", new == old,
                  f"{svg} is not what `bpc render` draws now ({sorted(set(new) ^ set(old))[:4]}): "
                  "run sh docs/samples.sh and commit it")

# The scenario words of runtime/bprun/scn.c (as tests/tools/editor_words.py reads them).
words = set()
for line in open("runtime/bprun/scn.c", encoding="utf-8"):
    words.update(re.findall(r'strcmp\((?:cmd|w\[[0-9]\])\s*,\s*"([a-z_]+)"\)', line))
scn_doc = open("docs/scenarios.md", encoding="utf-8").read()
check("scenario words", len(words) >= 15, f"only {len(words)} words read from runtime/bprun/scn.c")
for w in sorted(words):
    check("docs/scenarios.md", re.search(r"`(expect (no )?)?" + w + r"\b", scn_doc),
          f"the scenario word `{w}` (runtime/bprun/scn.c) is not explained in docs/scenarios.md")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

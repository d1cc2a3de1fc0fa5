#!/usr/bin/env python3
"""differ.py NEW_BPC OLD_BPC [--seconds N] [--seed S] [--mode MODE] [--out DIR]

Differential fuzzing of two bpc builds that must agree byte for byte (a change that
only makes the compiler faster): mutants of the repository's .bp files (or .bpmn files)
go through both, and every command's stdout, stderr, exit status and output file are
compared. A difference, a crash (a signal, status > 3) or a hang (20 s) is kept in
--out (default build/fuzz/differ) as the input and a .txt with both outputs.

Modes:
  bp     token mutations of samples/, tests/ and ../shared/spec/examples .bp files
         (delete, duplicate, swap tokens; keywords and operators of bp.dict; cut,
         duplicate and splice lines; unbalanced braces, quotes and `{ }` in strings),
         through check, fmt, dot, export --bpmn and compile, on BPC_THREADS 1 or 2. A
         mutant that compiles joins the pool mutated further (half of the picks), so
         that the lowering and code generation see varied valid programs. One in 50 is
         put in the middle of 280 KB of generated processes (as fuzz_split does) and
         run on one thread and on two: the parse is split in two there.
  big    each mutant inside bench/gen.sh's 100,000-line program (at a process start
         in its middle third): the compile prepares the heap and hands the tree's pages
         to malloc (bpc_heap_reuse), which only happens past a few MB. check and
         compile, on one thread and on two.
  bpmn   line mutations of the repository's .bpmn files (delete, duplicate, splice
         lines; flow ends pointed at other ids; element kinds swapped; flows reversed)
         through check, compile and dot: the IR checks of ir_finish see shapes the .bp
         front end never makes.

Run from the repository root; it prints a progress line every 500 inputs and a last
line "done N inputs, D differ".
"""
import argparse, glob, hashlib, os, random, re, shutil, subprocess, time

ap = argparse.ArgumentParser()
ap.add_argument('new'); ap.add_argument('old')
ap.add_argument('--seconds', type=float, default=600)
ap.add_argument('--seed', type=int, default=1)
ap.add_argument('--mode', choices=['bp', 'big', 'bpmn'], default='bp')
ap.add_argument('--out', default='build/fuzz/differ')
args = ap.parse_args()
random.seed(args.seed)
NEW, OLD = os.path.abspath(args.new), os.path.abspath(args.old)
OUT = os.path.abspath(args.out)
DEADLINE = time.time() + args.seconds
ROOT = os.getcwd()

def load(patterns, limit):
    files = sorted(set(f for p in patterns for f in glob.glob(p, recursive=True)))
    return [open(f, 'rb').read() for f in files if os.path.getsize(f) < limit]

# ---- .bp mutations -------------------------------------------------------------
TOK = re.compile(rb'"(?:[^"\\\n]|\\.)*"?|[A-Za-z_][A-Za-z0-9_]*|\d[\w.:\-]*|->|==|!=|<=|>=|\s+|.', re.S)
EXTRA = [b'{', b'}', b'"', b'"{', b'}"', b'{x}', b'\\', b'\\{', b'"a {b', b'@', b'`', b'\t', b'\r\n',
         b'\xc3\xa9', b'\xff', b'\x00', b'9999999999999999999999', b'0x', b'1e5', b'1.', b'.5', b'..',
         b'a.b.c', b'_', b'=', b'!', b'<', b'>', b'&', b'|', b'//', b'/*', b';']

def bp_dict():
    toks = []
    for line in open(os.path.join(ROOT, 'tests/fuzz/bp.dict')):
        m = re.match(r'\w+="(.*)"\s*$', line)
        if m: toks.append(m.group(1).encode().decode('unicode_escape').encode('latin1'))
    return toks + EXTRA

def toks(t): return TOK.findall(t) or [b'']

def mutate_bp(t, corpus, words):
    tk = toks(t)
    for _ in range(random.choice([1, 1, 1, 2, 3, 5])):
        op, i = random.randrange(12), random.randrange(len(tk))
        if op == 0 and len(tk) > 1: del tk[i]
        elif op == 1: tk.insert(i, tk[i])
        elif op == 2:
            j = random.randrange(len(tk)); tk[i], tk[j] = tk[j], tk[i]
        elif op == 3: tk.insert(i, random.choice(words) + random.choice([b' ', b'', b'\n']))
        elif op == 4: tk[i] = random.choice(words)
        elif op in (5, 8):  # cut lines, or copy lines elsewhere
            lines = b''.join(tk).split(b'\n')
            a = random.randrange(len(lines)); b = min(len(lines), a + random.randint(1, 8 if op == 8 else 5))
            if op == 5: del lines[a:b]
            else: c = random.randrange(len(lines) + 1); lines[c:c] = lines[a:b]
            tk = toks(b'\n'.join(lines))
        elif op == 6:  # a bracket gone, or a string's byte made a brace, quote or escape
            idx = [k for k, x in enumerate(tk) if x in (b'{', b'}', b'(', b')', b'[', b']') or x.startswith(b'"')]
            if idx:
                k = random.choice(idx)
                if tk[k].startswith(b'"') and len(tk[k]) > 1:
                    s = tk[k]; p = random.randrange(len(s))
                    tk[k] = s[:p] + random.choice([b'', b'{', b'}', b'"', b'\\', b'{{', b'}}']) + s[p + 1:]
                else: del tk[k]
        elif op == 7:  # an interpolation, whole or broken, inside a string
            idx = [k for k, x in enumerate(tk) if x.startswith(b'"')]
            if idx:
                k = random.choice(idx); s = tk[k]; p = random.randrange(1, max(2, len(s)))
                tk[k] = s[:p] + random.choice([b'{', b'}', b'{x', b'{a.b}', b'{"q"}', b'{1+}', b'{}', b'\\{', b'{n}', b'{ {', b'\n']) + s[p:]
        elif op == 9:  # tokens of another file
            o = toks(random.choice(corpus)); a = random.randrange(len(o))
            tk[i:i] = o[a:a + random.randint(1, 40)]
        elif op == 10: tk = tk[:i] or [b'']
        else:
            s = tk[i]
            if s:
                p = random.randrange(len(s)); tk[i] = s[:p] + bytes([random.choice(b'{}"\n ()#.:=-+<>\\\t0a')]) + s[p + 1:]
    return b''.join(tk)

def split_wrap(t):
    """t in the middle of 280 KB of generated processes: over parse.c's 256 KiB, so
    that two threads parse it in two halves (fuzz_split makes the same kind of file)."""
    def fill(tag, upto, i):
        out, size = [], 0
        while size < upto:
            u = b'process fz_%s_%d "Filler %d" on FzPad {\n  n = n + %d\n  log "%s {n}"\n}\n#' % (tag, i, i, i, tag) + b'x' * 3900 + b'\n'
            out.append(u); size += len(u); i += 1
        return b''.join(out), i
    pre, i = fill(b'a', 140000 - int(random.random() * len(t)), 1)
    suf, _ = fill(b'b', 140000, i)
    return b'document FzPad {\n  n: int\n}\n' + pre + t + b'\n' + suf

G_LINES = G_STARTS = None
def g100k_wrap(t):
    global G_LINES, G_STARTS
    if G_LINES is None:
        text = subprocess.run(['sh', os.path.join(ROOT, 'bench/gen.sh'), '100000'], capture_output=True, check=True).stdout
        G_LINES = text.split(b'\n')
        G_STARTS = [i for i, l in enumerate(G_LINES) if l.startswith(b'process ')]
    k = random.choice(G_STARTS[len(G_STARTS) // 3: 2 * len(G_STARTS) // 3])
    return b'\n'.join(G_LINES[:k]) + b'\n' + t + b'\n' + b'\n'.join(G_LINES[k:])

# ---- .bpmn mutations ------------------------------------------------------------
REF = re.compile(rb'(?:sourceRef|targetRef|attachedToRef|default)="([^"]*)"')
KINDS = [b'exclusiveGateway', b'parallelGateway', b'inclusiveGateway', b'eventBasedGateway', b'task', b'userTask',
         b'serviceTask', b'scriptTask', b'intermediateCatchEvent', b'endEvent', b'startEvent', b'subProcess',
         b'callActivity', b'receiveTask']

def mutate_bpmn(t, corpus):
    lines = t.split(b'\n')
    for _ in range(random.choice([1, 1, 2, 3])):
        op, i = random.randrange(6), random.randrange(len(lines))
        if op == 0 and len(lines) > 1: del lines[i]
        elif op == 1: lines.insert(random.randrange(len(lines) + 1), lines[i])
        elif op == 2:
            ids = sorted(set(REF.findall(b'\n'.join(lines)))); m = list(REF.finditer(lines[i]))
            if ids and m:
                mm = random.choice(m); lines[i] = lines[i][:mm.start(1)] + random.choice(ids) + lines[i][mm.end(1):]
        elif op == 3:
            for k in KINDS:
                if k in lines[i]: lines[i] = lines[i].replace(k, random.choice(KINDS)); break
        elif op == 4:  # the flow back the other way too
            l = lines[i]
            s, d, n = (re.search(rb'sourceRef="([^"]*)"', l), re.search(rb'targetRef="([^"]*)"', l), re.search(rb' id="([^"]*)"', l))
            if b'sequenceFlow' in l and s and d and n:
                lines.insert(i + 1, l.replace(s.group(0), b'sourceRef="' + d.group(1) + b'"', 1)
                             .replace(d.group(0), b'targetRef="' + s.group(1) + b'"', 1)
                             .replace(n.group(0), b' id="' + n.group(1) + b'_r"', 1))
        else:
            o = random.choice(corpus).split(b'\n'); a = random.randrange(len(o))
            lines[i:i] = o[a:a + random.randint(1, 6)]
    return b'\n'.join(lines)

# ---- running both ------------------------------------------------------------------
WD = os.path.join(OUT, 'work.%d' % os.getpid())
os.makedirs(WD, exist_ok=True)

def run(exe, argv, threads):
    env = dict(os.environ, BPC_THREADS=str(threads))
    out = os.path.join(WD, 'o.out')
    if os.path.exists(out): os.unlink(out)
    try:
        p = subprocess.run([exe] + argv, cwd=WD, env=env, capture_output=True, timeout=20)
        rc, so, se = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        rc, so, se = 'timeout', b'', b''
    return (rc, so, se, open(out, 'rb').read() if os.path.exists(out) else None)

def keep(text, name, cmd, threads, a, b):
    h = hashlib.sha1(text).hexdigest()[:10]
    crash = a[0] == 'timeout' or a[0] < 0 or a[0] > 3
    fn = os.path.join(OUT, '%s-%s-t%d-%s.%s' % ('crash' if crash else 'differ', cmd[0], threads, h, name.split('.')[-1]))
    open(fn, 'wb').write(text)
    with open(fn + '.txt', 'w') as f:
        f.write('command: bpc %s (BPC_THREADS=%d)\nnew: status %r\n%s\nold: status %r\n%s\n' % (
            ' '.join(cmd), threads, a[0], (a[1] + a[2])[:4000].decode('latin1'), b[0], (b[1] + b[2])[:4000].decode('latin1')))
    print('FOUND', fn, flush=True)

if args.mode == 'bpmn':
    corpus = load([ROOT + '/tests/**/*.bpmn', ROOT + '/../shared/**/*.bpmn'], 200000)
    name, cmds = 'm.bpmn', [['check', 'm.bpmn'], ['compile', 'm.bpmn', '-o', 'o.out'], ['dot', 'm.bpmn', '-o', 'o.out']]
else:
    corpus = load([ROOT + '/samples/**/*.bp', ROOT + '/tests/**/*.bp', ROOT + '/../shared/spec/examples/**/*.bp'], 60000)
    words = bp_dict()
    name = 'm.bp'
    cmds = [['check', 'm.bp'], ['fmt', 'm.bp'], ['dot', 'm.bp', '-o', 'o.out'],
            ['export', '--bpmn', 'm.bp', '-o', 'o.out'], ['compile', 'm.bp', '-o', 'o.out']]
    if args.mode == 'big': cmds = [cmds[0], cmds[-1]]
valid, n, differ = [], 0, 0
while time.time() < DEADLINE:
    if args.mode == 'bpmn':
        text, both = mutate_bpmn(random.choice(corpus), corpus), False
    else:
        base = random.choice(valid) if valid and random.random() < 0.5 else random.choice(corpus)
        text = mutate_bp(base, corpus, words)
        if args.mode == 'big': text, both = g100k_wrap(text), True
        elif random.random() < 0.02: text, both = split_wrap(text), True
        else: both = False
    open(os.path.join(WD, name), 'wb').write(text)
    compiled = False
    for threads in ([1, 2] if both else [random.choice([1, 2])]):
        for cmd in cmds:
            a, b = run(NEW, cmd, threads), run(OLD, cmd, threads)
            if a != b or a[0] == 'timeout' or a[0] < 0 or a[0] > 3:
                differ += 1
                keep(text, name, cmd, threads, a, b)
            compiled = cmd[0] == 'compile' and a[0] == 0
    if args.mode == 'bp' and not both and compiled and len(text) < 40000:
        if len(valid) < 3000: valid.append(text)
        else: valid[random.randrange(3000)] = text
    n += 1
    if n % 500 == 0: print('%d inputs, %d differ, %d compiled in the pool' % (n, differ, len(valid)), flush=True)
shutil.rmtree(WD)
print('done %d inputs, %d differ' % (n, differ), flush=True)

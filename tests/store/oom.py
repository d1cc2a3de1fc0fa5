#!/usr/bin/env python3
"""oom.py — out of memory in the middle of a store command loses nothing.

  oom.py BPRUN SHIM DB POINTS -- ARGS...

DB is a SQLite store (checkpointed, no -wal file). The command `BPRUN --store
COPY?synchronous=off ARGS...` (no fsync: a crash is not what this tests) is first run on a copy with nothing failing, which gives the database it
must leave (`after`) and the number of allocations it makes. It is then run again,
each time on a fresh copy, with the Nth allocation failing (the LD_PRELOAD SHIM,
tests/store/failalloc.c), for POINTS values of N spread evenly over that count.
Each run must end by itself (no signal, no hang), and leave the database either as
it was (`before`, with a message and a non-zero status) or as the clean run left it
(`after`); exit 0 with `before` would be an event lost. Prints one line per failure
and ends with `N passed, N failed`.
"""
import os, shutil, sqlite3, subprocess, sys, tempfile


def dump(path):
    c = sqlite3.connect(path)
    try:
        return "\n".join(c.iterdump())
    finally:
        c.close()


def main():
    bprun, shim, db, points = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    args = sys.argv[sys.argv.index("--") + 1:]
    tmp = tempfile.mkdtemp(prefix="bpc-oom.")
    passed = failed = 0
    try:
        copy, mark = os.path.join(tmp, "s.db"), os.path.join(tmp, "mark")

        def run(at):
            for f in (copy, copy + "-wal", copy + "-shm", mark):
                if os.path.exists(f):
                    os.unlink(f)
            shutil.copyfile(db, copy)
            env = dict(os.environ, LD_PRELOAD=shim, FAILALLOC_AT=str(at), FAILALLOC_DONE=mark)
            try:
                p = subprocess.run([bprun, "--store", copy + "?synchronous=off"] + args, env=env, capture_output=True, timeout=20)
                rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = 124, "no answer within 20 s"
            return rc, err, dump(copy)

        before = dump(db)
        rc, err, after = run(0)
        if rc != 0 or after == before:
            print("FAIL: oom %s: the clean run failed or changed nothing (exit %d): %s" % (args[0], rc, err[:300]))
            print("0 passed, 1 failed")
            return 1
        total = int(open(mark).read())
        step = max(1, total // points)
        for at in range(1, total + 1, step):
            rc, err, got = run(at)
            what = "oom %s at allocation %d of %d" % (args[0], at, total)
            if rc < 0 or rc >= 124:
                why = "ended by %s" % ("signal %d" % -rc if rc < 0 else "status %d" % rc)
            elif got not in (before, after):
                why = "the database is neither as before nor as after the command"
            elif rc == 0 and got != after:
                why = "exit 0 but the event is not stored"
            elif rc != 0 and not err.strip():
                why = "exit %d without a message" % rc
            else:
                passed += 1
                continue
            failed += 1
            print("FAIL: %s: %s: %s" % (what, why, err.strip()[:300]))
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

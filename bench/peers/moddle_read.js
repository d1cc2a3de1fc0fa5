'use strict';
// moddle_read.js — the peer of `bpc check` for bench/bpmn_read.sh: reads BPMN files
// with bpmn-moddle's fromXML (the reader bpmn-engine and bpmn-js use), in memory, and
// prints its speed.
//
//   node bench/peers/moddle_read.js RUNS SECONDS FILE...
//
// The files are read from disk once; then one warm-up pass over all of them (the JIT),
// then RUNS measured runs, each made of whole passes over every file until SECONDS of CPU
// time have passed. Each run prints one line: `run BYTES WALL CPU` (bytes parsed, wall time and
// CPU time of the process, user + system, in microseconds).
// A file bpmn-moddle rejects (the corpus's error__ cases) is parsed all the same: its
// bytes count, as they do for bpc, which refuses them too. Warnings are not kept.
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const peerRequire = createRequire(path.join(__dirname, 'package.json'));
const BpmnModdleExport = peerRequire('bpmn-moddle');
const BpmnModdle = BpmnModdleExport.BpmnModdle || BpmnModdleExport.default || BpmnModdleExport;

async function main() {
  const [runsArg, secondsArg, ...files] = process.argv.slice(2);
  const runs = Number(runsArg);
  const seconds = Number(secondsArg);
  if (!(runs > 0) || !(seconds > 0) || !files.length) {
    process.stderr.write('usage: node moddle_read.js RUNS SECONDS FILE...\n');
    process.exit(2);
  }
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const moddle = new BpmnModdle();
  const pass = async () => {
    for (const t of texts) {
      try {
        await moddle.fromXML(t);
      } catch (e) {
        /* a rejected file: read all the same */
      }
    }
  };
  await pass();
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let n = 0;
    let c;
    do {
      await pass();
      n++;
      c = process.cpuUsage(c0);
    } while (c.user + c.system < seconds * 1e6);
    const elapsed = process.hrtime.bigint() - t0;
    process.stdout.write(`run ${n * bytes} ${elapsed / 1000n} ${c.user + c.system}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`moddle_read.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});

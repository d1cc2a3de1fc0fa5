'use strict';
// engine_bench.js — the peer of bench/bpbench for `make bench`: bpmn-engine runs the BPMN
// models `bpc export --bpmn` made of the same samples, driven by the same decisions.
//
//   node bench/peers/engine_bench.js MEASURE MODEL.bpmn N RUNS
//
// MEASURE:
//   instances  two-stage approval: start (expert `e`, voters [`v1`]), the expert approves,
//              the one voter approves: the instance completes. N instances a run.
//   vote       simple vote of three voters, majority, wait all: start, three decisions
//              (approve, approve, reject), the instance completes. N instances a run.
//   state      the two-stage approval waiting for the expert: the length of
//              JSON.stringify(engine.getState()) in bytes (UTF-8), printed as `bytes B`.
//   restore    from that saved state: new Engine().recover(state), resume, the expert
//              approves, getState again (and stringified: the bytes a host stores). N a run.
//
// bpmn-engine does not know what an approval is: a decision is the user task's signal,
// and what the process branches on (`review.approved`, `ballot.approved`) is a process
// variable the host sets, as bpc's exporter names it. The exported gateway conditions
// that bpmn-engine cannot evaluate (`${not review.approved}`) take the default flow, which
// is the approved path; `${ballot.approved}` reads the variable. Each run prints
// `run N WALL_US CPU_US`; one warm-up run comes first (the JIT). The figure is read by
// bench/run.sh (median run).
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const peerRequire = createRequire(path.join(__dirname, 'package.json'));
const { Engine } = peerRequire('bpmn-engine');
const { EventEmitter } = require('node:events');

const Logger = () => ({ debug() {}, error() {}, warn() {} });

// A notification (`notify`, exported as a send task) is the host's: here it is taken at
// once, as bpbench's host takes the runtime's notify callback.
function Notify(activity) {
  this.activity = activity;
}
Notify.prototype.execute = function execute(message, callback) {
  callback(null);
};
const extensions = {
  bpcHost(activity) {
    if (activity.type === 'bpmn:SendTask' || activity.type === 'bpmn:ServiceTask') activity.behaviour.Service = Notify;
  },
};

function patchExpressions(engine) {
  // `${x.y}` names the process variable x (as Camunda's JUEL and bpc read it): the same
  // helper tests/conformance/engine.js uses.
  const ex = engine.environment.expressions;
  const resolve = ex.resolveExpression;
  ex.resolveExpression = (text, context, fnContext) => {
    const vars = context && context.environment && context.environment.variables;
    if (!vars) return resolve(text, context, fnContext);
    return resolve(text, { ...vars, variables: vars, ...context }, fnContext);
  };
}

// Runs one engine until it ends or nothing is left to decide; decide(api, k) is called for
// the k-th user task that waits and sets the variables of the decision.
async function drive(engine, listener, waiting, decide, startOpts) {
  let ended = false;
  engine.once('end', () => {
    ended = true;
  });
  if (startOpts) await engine.execute(startOpts);
  let k = 0;
  while (!ended && waiting.length) {
    const api = waiting.shift();
    decide(api, k++);
    api.signal({});
  }
  return ended ? k : -1;
}

function newListener(waiting) {
  const listener = new EventEmitter();
  listener.on('wait', (api) => {
    if (api.type === 'bpmn:UserTask') waiting.push(api);
  });
  return listener;
}

async function approvalInstance(source) {
  const waiting = [];
  const listener = newListener(waiting);
  const engine = new Engine({ name: 'tsa', source, Logger, extensions });
  patchExpressions(engine);
  const variables = { expert: 'e', voters: ['v1'], quorum: 50, title: 'T', author: 'a' };
  const ok = await drive(
    engine,
    listener,
    waiting,
    (api, k) => {
      if (k === 0) api.environment.variables.review = { approved: true };
      else api.environment.variables.ballot = { approved: true };
    },
    { listener, variables }
  );
  if (ok !== 2) throw new Error(`the two-stage approval did not complete after two decisions (${ok})`);
}

async function voteInstance(source) {
  const waiting = [];
  const listener = newListener(waiting);
  const engine = new Engine({ name: 'vote', source, Logger, extensions });
  patchExpressions(engine);
  const variables = { voters: ['v1', 'v2', 'v3'], title: 'T' };
  const votes = [];
  const ok = await drive(
    engine,
    listener,
    waiting,
    (api, k) => {
      votes.push(k < 2);
      const yes = votes.filter((v) => v).length;
      api.environment.variables.v = { approved: yes * 2 > 3, approvals: yes, total: 3 };
    },
    { listener, variables }
  );
  if (ok !== 3) throw new Error(`the vote did not complete after three decisions (${ok})`);
}

async function waitingState(source) {
  const waiting = [];
  const listener = newListener(waiting);
  const engine = new Engine({ name: 'tsa', source, Logger, extensions });
  patchExpressions(engine);
  const variables = { expert: 'e', voters: ['v1'], quorum: 50, title: 'T', author: 'a' };
  await engine.execute({ listener, variables });
  if (waiting.length !== 1) throw new Error(`expected one waiting task, got ${waiting.length}`);
  const state = await engine.getState();
  engine.stop();
  return JSON.stringify(state);
}

// The user task that comes after the expert's (the vote), named in the exported model.
let voteTask = '';

async function restoreOnce(stateText) {
  const waiting = [];
  const listener = newListener(waiting);
  const engine = new Engine({ name: 'tsa', Logger, extensions }).recover(JSON.parse(stateText));
  patchExpressions(engine);
  await engine.resume({ listener });
  if (!waiting.length) throw new Error('nothing waits after resume');
  const api = waiting.shift();
  api.environment.variables.review = { approved: true };
  api.signal({});
  if (waiting.length !== 1 || waiting[0].id !== voteTask) throw new Error('the restored instance did not go on to the vote');
  const out = JSON.stringify(await engine.getState());
  engine.stop();
  return out.length;
}

// bpc's exporter writes a multi-instance step's people as `camunda:collection="${voters}"`,
// which bpmn-engine reads only with the Camunda moddle extension (not a peer here): the
// same count of instances is given it as a loopCardinality over the same variable.
function forEngine(source) {
  return source.replace(
    /<bpmn:multiInstanceLoopCharacteristics camunda:collection="\$\{([A-Za-z_][A-Za-z0-9_]*)\}"([^>]*?)(\/?)>/g,
    (all, v, rest, selfClosing) =>
      `<bpmn:multiInstanceLoopCharacteristics${rest}><bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">\${environment.variables.${v}.length}</bpmn:loopCardinality>` +
      (selfClosing ? '</bpmn:multiInstanceLoopCharacteristics>' : '')
  );
}

function cpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function main() {
  const [measure, model, nArg, runsArg] = process.argv.slice(2);
  const n = Number(nArg);
  const runs = Number(runsArg);
  if (!measure || !model || !(n > 0) || !(runs > 0)) {
    process.stderr.write('usage: node engine_bench.js instances|vote|state|restore MODEL.bpmn N RUNS\n');
    process.exit(2);
  }
  const source = forEngine(fs.readFileSync(model, 'utf8'));
  let one;
  if (measure === 'instances') one = () => approvalInstance(source);
  else if (measure === 'vote') one = () => voteInstance(source);
  else if (measure === 'state') {
    const s = await waitingState(source);
    process.stdout.write(`bytes ${Buffer.byteLength(s, 'utf8')}\n`);
    return;
  } else if (measure === 'restore') {
    const s = await waitingState(source);
    const m = source.match(/<bpmn:userTask id="([^"]*)"[^>]*>\s*<bpmn:multiInstanceLoopCharacteristics/);
    voteTask = m ? m[1] : '';
    one = () => restoreOnce(s);
  } else throw new Error(`unknown measure ${measure}`);
  for (let r = -1; r < runs; r++) {
    const w0 = process.hrtime.bigint();
    const c0 = cpuUs();
    for (let i = 0; i < n; i++) await one();
    const wall = Number((process.hrtime.bigint() - w0) / 1000n);
    const cpu = cpuUs() - c0;
    if (r >= 0) process.stdout.write(`run ${n} ${wall} ${cpu}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`engine_bench.js: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
);

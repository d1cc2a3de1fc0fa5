'use strict';
// engine.js — runs BPMN models with bpmn-engine (the peer, installed in bench/peers by
// bench/peers/install.sh) under a fixed policy of decisions, prints the sequence of
// activities each run completed, and writes the same decisions as a bprun scenario (.scn),
// so that tests/conformance/run.sh can run the model compiled by bpc with the same
// decisions and compare.
//
//   node tests/conformance/engine.js MODEL.bpmn --policy users|timers --scn OUT.scn
//        [--out RESULT] [--process ID] [--param NAME:TYPE] ... [--set NAME=VALUE] ...
//   node tests/conformance/engine.js --jobs FILE
//
// --jobs runs many in one process (node and bpmn-engine load once): each line of FILE
// holds the arguments of one run, separated by blanks (no blank inside one).
//
// --param names a parameter of the compiled process and its type (from `bpc disasm`):
// every parameter is given a value in both engines, so neither falls back on a default of
// its own: a `user` is the performer `pat`; `users` the list given by --set, or `pat`;
// `bool` false, `decimal` 0, `string` "", `datetime` the clock's start unless --set gives a value. Variables set with
// --set that are not parameters still go to bpmn-engine (bpc has nothing to pass them to).
//
// The decisions (the "host"): the model runs on a virtual clock that starts at
// 2026-01-01T00:00Z, as bprun's does (Date is replaced for the run), and bpmn-engine's
// timers are fake (its `timers` option), so no real time passes. Whenever the engine waits:
//   1. a pending host call (service, send and business rule tasks, and script tasks: bpc
//      makes them host actions and never runs a script, so here too a script task is a
//      host call, and its body is not run) is answered, oldest first, with no value;
//   2. policy `users`: the oldest open user task (userTask, manualTask) is completed with
//      no variables; when none is open, the earliest timer fires;
//      policy `timers`: the earliest timer fires; only when none is pending is the oldest
//      open user task completed.
// Each decision becomes a scenario line: `answer ID`, `complete pat` (bprun completes a
// user's oldest open item, and the policy picks the oldest task), `advance Ns` (to the
// timer's due time, in whole seconds). A `task` of no type passes at once in bpmn-engine
// but is a human step in bpc: the same decision there is `complete pat` at that moment.
// The run stops when the engine ends or fails, when nothing is left to decide (it waits
// for a message or a signal), after 200 decisions, or after 100 activities in a row with
// no decision (a loop bpmn-engine runs on its own: "runaway").
//
// The result (RESULT, or stdout), one item a line:
//   sequence ID ID ...   the activities completed, in order (tasks of every kind and call
//                        activities; a multi-instance task once, when it completes; events,
//                        gateways and sub-processes are not activities bprun journals)
//   status completed | error MESSAGE | refused MESSAGE (bpmn-engine could not load or
//          start the model) | waiting | runaway: ...
//   decisions N
//   role NAME            a lane name (bpc makes it the role of its tasks; bprun is told
//                        that role is `pat`)
//   postponed ID ...     (when waiting) what bpmn-engine still waits in
const fs = require('node:fs');
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { createRequire } = require('node:module');

const PEERS = process.env.BPC_PEERS || path.join(__dirname, '..', '..', 'bench', 'peers');
const peerRequire = createRequire(path.join(PEERS, 'package.json'));
const { Engine } = peerRequire('bpmn-engine');

const USER = 'pat';
const START = Date.UTC(2026, 0, 1, 0, 0, 0);
const MAX_DECISIONS = 200;
const MAX_ACTIVITIES = 100;
const USAGE =
  'usage: node engine.js MODEL.bpmn --policy users|timers --scn OUT.scn [--out RESULT] [--process ID] [--param NAME:TYPE]... [--set NAME=VALUE]...\n' +
  '       node engine.js --jobs FILE';

class UsageError extends Error {}

// ---- the virtual clock: Date.now() and new Date() read it -------------------------------
let vnow = START;
const RealDate = Date;
class VirtualDate extends RealDate {
  constructor(...a) {
    if (a.length === 0) super(vnow);
    else super(...a);
  }
  static now() {
    return vnow;
  }
}
globalThis.Date = VirtualDate;

function parseArgs(args) {
  const opt = { params: [], sets: [], policy: 'users' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = () => {
      if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
      return args[++i];
    };
    if (a === '--policy') opt.policy = val();
    else if (a === '--scn') opt.scn = val();
    else if (a === '--out') opt.out = val();
    else if (a === '--process') opt.process = val();
    else if (a === '--param') opt.params.push(val());
    else if (a === '--set') opt.sets.push(val());
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else if (!opt.model) opt.model = a;
    else throw new UsageError(`one model only (${a})`);
  }
  if (!opt.model || !opt.scn) throw new UsageError('a model and --scn are needed');
  if (opt.policy !== 'users' && opt.policy !== 'timers') throw new UsageError(`unknown policy ${opt.policy}`);
  return opt;
}

function parseValue(text) {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
  return text;
}

// The variables of the run, the same in both engines: bpmn-engine's values and the
// `start` arguments of the scenario.
function variablesOf(opt) {
  const sets = new Map();
  for (const s of opt.sets) {
    const k = s.indexOf('=');
    if (k <= 0) throw new UsageError(`--set ${s}: NAME=VALUE`);
    sets.set(s.slice(0, k), s.slice(k + 1));
  }
  const variables = {};
  const startArgs = [];
  for (const p of opt.params) {
    const k = p.indexOf(':');
    if (k <= 0) throw new UsageError(`--param ${p}: NAME:TYPE`);
    const name = p.slice(0, k);
    const type = p.slice(k + 1);
    let text = sets.has(name) ? sets.get(name) : undefined;
    let value;
    switch (type) {
      case 'user':
        text = text ?? USER;
        value = text;
        break;
      case 'users':
        text = text ?? USER;
        value = text.split(',').filter((u) => u);
        break;
      case 'bool':
        text = text ?? 'false';
        value = text === 'true';
        break;
      case 'decimal':
      case 'int':
        text = text ?? '0';
        value = Number(text);
        break;
      case 'datetime':
        // the clock's start unless the case names a time; bpmn-engine reads an ISO 8601 text
        text = text ?? '2026-01-01T00:00';
        value = `${text}:00Z`;
        break;
      case 'date':
        text = text ?? '2026-01-01';
        value = `${text}T00:00:00Z`;
        break;
      default:
        text = text ?? '';
        value = text;
        text = JSON.stringify(text);
    }
    variables[name] = value;
    startArgs.push(`${name}=${text}`);
    sets.delete(name);
  }
  for (const [name, text] of sets) variables[name] = parseValue(text);
  return { variables, startArgs };
}

// bpc runs every process with flow elements when none is marked executable (modelers that
// only draw, such as the MIWG reference files, leave isExecutable false); bpmn-engine runs
// only executable ones. So that both run the process bpc started, it is marked so here.
function markExecutable(source, proc) {
  if (!proc || /\bisExecutable\s*=\s*["']true["']/.test(source)) return source;
  const esc = proc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tag = new RegExp(`(<(?:[A-Za-z0-9_.-]+:)?process\\b)([^>]*\\bid\\s*=\\s*["']${esc}["'][^>]*>)`);
  return source.replace(tag, (all, open, rest) => `${open} isExecutable="true"${rest.replace(/\s+isExecutable\s*=\s*["'][^"']*["']/, '')}`);
}

const ACTIVITY_TYPES = new Set([
  'bpmn:Task', 'bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:ScriptTask',
  'bpmn:BusinessRuleTask', 'bpmn:ReceiveTask', 'bpmn:CallActivity',
]);
const HOST_TYPES = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);

function tick() {
  return new Promise((resolve) => setImmediate(resolve));
}
async function settle() {
  for (let i = 0; i < 4; i++) await tick();
}

// Who completes a task in bprun: the performer, or for one instance of a multi-instance
// task the user of the collection it is for.
// A task whose assignee is a plain user id (`camunda:assignee="carl"`) is that user's in
// bpc; bpmn-engine does not keep the attribute, so it is read from the model's text.
let SOURCE = '';
function literalAssignee(id) {
  for (const m of SOURCE.matchAll(/<(?:[A-Za-z0-9_.-]+:)?(?:userTask|manualTask|task)\b[^>]*>/g)) {
    const tag = m[0];
    const idm = tag.match(/\bid\s*=\s*"([^"]*)"/);
    if (!idm || idm[1] !== id) continue;
    const a = tag.match(/\b[A-Za-z0-9_.-]+:assignee\s*=\s*"([^"$#{}]+)"/);
    return a ? a[1].trim() : null;
  }
  return null;
}
function userOf(api) {
  const c = api.content || {};
  if (c.isMultiInstance && typeof c.item === 'string' && c.item) return c.item;
  return literalAssignee(api.id) || USER;
}
function isUserTask(api) {
  return api.type === 'bpmn:UserTask' || api.type === 'bpmn:ManualTask';
}

async function runOne(opt) {
  vnow = START;
  const { variables, startArgs } = variablesOf(opt);

  // ---- fake timers (bpmn-engine's `timers` option) --------------------------------------
  let timerSeq = 0;
  const timers = new Set();
  const fakeSetTimeout = (owner, callback, delay, ...args) => {
    const ref = { owner, callback, args, delay, due: vnow + Math.max(0, Number(delay) || 0), seq: timerSeq++ };
    ref.timerId = `timer_${ref.seq}`;
    timers.add(ref);
    return ref;
  };
  const fakeClearTimeout = (ref) => {
    timers.delete(ref);
  };
  const fakeTimers = {
    get executing() {
      return [...timers];
    },
    setTimeout: (cb, delay, ...a) => fakeSetTimeout(null, cb, delay, ...a),
    clearTimeout: fakeClearTimeout,
    register(owner) {
      return { owner, setTimeout: (cb, delay, ...a) => fakeSetTimeout(owner, cb, delay, ...a), clearTimeout: fakeClearTimeout };
    },
  };

  // ---- host calls: service-like tasks and script tasks ----------------------------------
  let callSeq = 0;
  const calls = [];
  function HostService(activity) {
    this.activity = activity;
  }
  HostService.prototype.execute = function execute(message, callback) {
    calls.push({ id: this.activity.id, callback, seq: callSeq++ });
  };
  HostService.prototype.discard = function discard() {
    const i = calls.findIndex((c) => c.id === this.activity.id);
    if (i >= 0) calls.splice(i, 1);
  };
  HostService.prototype.stop = HostService.prototype.discard;
  const hostScripts = {
    register(activity) {
      return activity.type === 'bpmn:ScriptTask' ? { id: activity.id } : undefined;
    },
    getScript(language, activity) {
      if (activity.type !== 'bpmn:ScriptTask') return undefined;
      return {
        id: activity.id,
        language,
        execute(executionContext, callback) {
          calls.push({ id: activity.id, callback, seq: callSeq++ });
        },
      };
    },
  };

  // ---- what happens --------------------------------------------------------------------
  const sequence = [];
  const lines = [];
  const waiting = [];
  let waitSeq = 0;
  let status = null;
  let started = false;
  let runaway = false;
  let engine = null;
  const listener = new EventEmitter();
  listener.setMaxListeners(0);
  listener.on('activity.enter', () => {
    started = true;
  });
  listener.on('wait', (api) => {
    waiting.push({ api, seq: waitSeq++ });
  });
  listener.on('activity.end', (api) => {
    if (!ACTIVITY_TYPES.has(api.type) || runaway) return;
    if (api.type === 'bpmn:Task') lines.push(`complete ${userOf(api)}`);
    if (api.content && api.content.isRootScope === false) return; // one instance of a multi-instance task
    sequence.push(api.id);
    if (sequence.length - decisionsAt >= MAX_ACTIVITIES) {
      runaway = true;
      status = `runaway: more than ${MAX_ACTIVITIES} activities without a decision`;
      engine.stop();
    }
  });
  const dropWaiting = (api) => {
    const i = waiting.findIndex((w) => w.api.executionId === api.executionId);
    if (i >= 0) waiting.splice(i, 1);
  };
  listener.on('activity.leave', dropWaiting);
  listener.on('activity.discard', dropWaiting);
  let decisionsAt = 0;

  const source = markExecutable(fs.readFileSync(opt.model, 'utf8'), opt.process);
  SOURCE = source;
  engine = new Engine({
    name: path.basename(opt.model),
    source,
    timers: fakeTimers,
    scripts: hostScripts,
    variables,
    extensions: {
      bpcHost(activity) {
        if (HOST_TYPES.has(activity.type)) activity.behaviour.Service = HostService;
      },
    },
    Logger: () => ({ debug() {}, error() {}, warn() {} }),
  });
  // Expressions: bpmn-engine resolves `${variables.x}` and `${x}` against the message of
  // the flow or activity, where nothing puts the process's variables unless a Camunda io
  // mapping does; bpc (like Camunda's JUEL) reads both as the process variable x. The same
  // inputs must mean the same in both engines, so here they name the process variables
  // too (a name the message has wins).
  const ex = engine.environment.expressions;
  const resolve = ex.resolveExpression;
  ex.resolveExpression = (text, context, fnContext) => {
    const vars = context && context.environment && context.environment.variables;
    if (!vars) return resolve(text, context, fnContext);
    return resolve(text, { ...vars, variables: vars, ...context }, fnContext);
  };
  engine.once('end', () => {
    status = status || 'completed';
  });
  engine.once('error', (err) => {
    // An error before any element started is the peer refusing the model.
    status = status || `${started ? 'error' : 'refused'} ${err && err.message ? err.message : String(err)}`;
  });

  try {
    await engine.execute({ listener, variables });
  } catch (err) {
    status = status || `refused ${err.message}`;
  }
  await settle();
  let decisions = 0;
  let clockSec = 0;
  while (!status && decisions < MAX_DECISIONS) {
    const userOpen = waiting.filter((w) => isUserTask(w.api));
    const byTime = [...timers].sort((a, b) => a.due - b.due || a.seq - b.seq);
    decisionsAt = sequence.length;
    if (calls.length) {
      calls.sort((a, b) => a.seq - b.seq);
      const c = calls.shift();
      lines.push(`answer ${c.id}`);
      c.callback(null);
    } else if (userOpen.length && (opt.policy === 'users' || !byTime.length)) {
      userOpen.sort((a, b) => a.seq - b.seq);
      const w = userOpen[0];
      waiting.splice(waiting.indexOf(w), 1);
      lines.push(`complete ${userOf(w.api)}`);
      w.api.signal({});
    } else if (byTime.length) {
      const t = byTime[0];
      timers.delete(t);
      if (t.due > vnow) vnow = t.due;
      const sec = Math.ceil((t.due - START) / 1000);
      if (sec > clockSec) {
        lines.push(`advance ${sec - clockSec}s`);
        clockSec = sec;
      }
      t.callback(...t.args);
    } else {
      break; // nothing to decide: it waits for something this host does not do
    }
    decisions++;
    await settle();
  }
  if (!status) status = 'waiting';

  const roles = new Set();
  for (const m of source.matchAll(/<(?:[A-Za-z0-9_.-]+:)?lane\b[^>]*\bname\s*=\s*"([^"]*)"/g)) roles.add(m[1]);
  let proc = opt.process;
  if (!proc) {
    const m = source.match(/<(?:[A-Za-z0-9_.-]+:)?process\b[^>]*\bid\s*=\s*"([^"]*)"/);
    proc = m ? m[1] : 'process';
  }
  fs.writeFileSync(
    opt.scn,
    [
      `# made by tests/conformance/engine.js from ${path.basename(opt.model)}, policy ${opt.policy}`,
      `start ${proc}${startArgs.length ? ' ' + startArgs.join(' ') : ''}`,
      ...lines,
      '',
    ].join('\n')
  );
  let out = `sequence ${sequence.join(' ')}\nstatus ${status.replace(/\s+/g, ' ')}\ndecisions ${decisions}\n`;
  for (const r of roles) out += `role ${r}\n`;
  if (status === 'waiting') {
    let ids = [];
    try {
      ids = engine.execution ? engine.execution.getPostponed().map((a) => a.id) : [];
    } catch (e) {
      /* only a help */
    }
    out += `postponed ${ids.join(' ')}\n`;
  }
  try {
    engine.stop();
  } catch (e) {
    /* stopping a stopped engine */
  }
  if (opt.out) fs.writeFileSync(opt.out, out);
  else process.stdout.write(out);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--jobs') {
    if (argv.length !== 2) throw new UsageError('--jobs FILE');
    const jobs = fs.readFileSync(argv[1], 'utf8').split('\n').filter((l) => l.trim());
    for (const job of jobs) {
      const opt = parseArgs(job.trim().split(/\s+/));
      try {
        await runOne(opt);
      } catch (err) {
        // One model's trouble is its result; the others still run.
        const msg = `sequence \nstatus engine.js failed: ${String(err && err.message ? err.message : err).replace(/\s+/g, ' ')}\ndecisions 0\n`;
        if (opt.out) fs.writeFileSync(opt.out, msg);
        else process.stdout.write(msg);
      }
    }
  } else {
    await runOne(parseArgs(argv));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`engine.js: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`engine.js: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
);

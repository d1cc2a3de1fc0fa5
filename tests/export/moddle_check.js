// moddle_check.js DIR [NODE_MODULES] — reads every .bpmn file of DIR with
// bpmn-moddle's fromXML and fails on any warning (an unknown element or
// attribute of the BPMN namespaces, an unresolved reference, a bad value) or
// error. NODE_MODULES (else $BPMN_MODDLE_MODULES) is the node_modules folder
// that holds bpmn-moddle. Prints one line per file and a total; exit 0 when
// every file read cleanly, 1 when one did not, 2 on misuse.
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const modules = process.argv[3] || process.env.BPMN_MODDLE_MODULES;
if (!dir || !modules) {
  console.error('usage: node moddle_check.js DIR NODE_MODULES (or BPMN_MODDLE_MODULES=...)');
  process.exit(2);
}
// bpmn-moddle is an ES module: found as a package of that folder would be,
// then imported.
async function load() {
  try {
    const { createRequire } = require('module');
    const { pathToFileURL } = require('url');
    const req = createRequire(path.join(path.resolve(modules), 'moddle_check.js'));
    const mod = await import(pathToFileURL(req.resolve('bpmn-moddle')).href);
    return mod.BpmnModdle || mod.default || mod; // 10.x: a named export; older: the default
  } catch (e) {
    console.error(`moddle_check: cannot load bpmn-moddle from ${modules}: ${e.message}`);
    process.exit(2);
  }
}

async function main() {
  const BpmnModdle = await load();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn')).sort();
  let bad = 0;
  for (const f of files) {
    const xml = fs.readFileSync(path.join(dir, f), 'utf8');
    const moddle = new BpmnModdle();
    try {
      const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
      const problems = (warnings || []).map((w) => w.message);
      if (!rootElement) problems.push('no definitions element read');
      if (problems.length) {
        bad++;
        console.log(`FAIL ${f}: ${problems.length} warning(s): ${problems.join(' | ')}`);
      } else {
        console.log(`ok ${f}`);
      }
    } catch (e) {
      bad++;
      console.log(`FAIL ${f}: ${e.message}`);
    }
  }
  console.log(`${files.length - bad} read without warnings, ${bad} with`);
  process.exit(bad ? 1 : 0);
}
main();

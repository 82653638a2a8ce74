// src/engine/yara/worker-source.ts — the code of the YARA-X worker thread, kept as a string
// and started with `new Worker(code, { eval: true })` so it runs the same from src/ (tests,
// TypeScript loader) and dist/. The worker owns one compiled YARA-X rule set; compiling and
// scanning there keeps both off the event loop (compiling 5,000 rules takes ~0.6 s).
// Scans use the synchronous API one at a time: @litko/yara-x serialises concurrent scans on
// one rule set anyway (measured: 4 parallel scanAsync calls take 4.6x one), and scanAsync
// would park libuv threadpool threads — the ones file reads and Vectorscan need — on that lock.
//
// Protocol: {op:'load', id, units:[{file, source, perLine?}]} -> {id, errors:[{file, line, message}], loaded}
//           {op:'scan', id, data: Uint8Array} -> {id, matches:[{rule, meta}]} | {id, error}
// A unit that does not compile is left out and reported with its own line number: each unit is
// validated alone first, then all valid units are compiled together (adding sources one by one
// to a compiler costs O(n^2): 300 adds took 10.5 s); a unit failing only in combination
// (a rule name used twice) is found from the combined line number, dropped, and the rest retried.

export const YARA_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const yarax = require(workerData.modulePath);
let rules = null;

function describe(e) {
  const text = String(e && e.message || e);
  const m = /--> line:(\d+)(?::(\d+))?/.exec(text);
  const first = text.split('\n')[0].replace(/^Compilation error \(\w+\):\s*/, '').replace(/^error\[\w+\]:\s*/, '');
  return { line: m ? Number(m[1]) : undefined, message: first.trim() };
}

// A perLine unit holds one independent rule per line (translated body signatures): a line that
// does not compile is blanked (keeping line numbers) and reported, the others stay.
function validateUnit(u, errors) {
  if (!u.perLine) {
    const v = yarax.validate(u.source);
    if (!v.errors.length) return u;
    const d = describe(v.errors[0]);
    errors.push({ file: u.file, line: d.line, message: d.message });
    return null;
  }
  const lines = u.source.split('\n');
  for (let attempt = 0; attempt < 50; attempt++) {
    const v = yarax.validate(lines.join('\n'));
    if (!v.errors.length) return { file: u.file, source: lines.join('\n') };
    const d = describe(v.errors[0]);
    if (d.line === undefined || !lines[d.line - 1]) break;
    errors.push({ file: u.file, line: d.line, message: d.message });
    lines[d.line - 1] = '';
  }
  errors.push({ file: u.file, message: 'too many rules failed to compile; unit dropped' });
  return null;
}

function load(units) {
  const errors = [];
  let ok = [];
  for (const u of units) {
    const v = validateUnit(u, errors);
    if (v) ok.push(v);
  }
  for (let attempt = 0; ok.length && attempt <= units.length; attempt++) {
    let src = '';
    let line = 1;
    const starts = [];
    for (const u of ok) {
      starts.push(line);
      src += u.source + '\n';
      for (let i = u.source.indexOf('\n'); i >= 0; i = u.source.indexOf('\n', i + 1)) line++;
      line++;
    }
    try {
      const c = yarax.create();
      c.addRuleSource(src);
      return { rules: c, errors, loaded: ok.length };
    } catch (e) {
      const d = describe(e);
      let k = ok.length - 1;
      if (d.line !== undefined) while (k > 0 && starts[k] > d.line) k--;
      const bad = ok[k];
      errors.push({ file: bad.file, line: d.line !== undefined ? d.line - starts[k] + 1 : undefined, message: d.message });
      ok = ok.filter((_, i) => i !== k);
    }
  }
  return { rules: null, errors, loaded: 0 };
}

parentPort.on('message', (m) => {
  if (m.op === 'load') {
    try {
      const r = load(m.units);
      rules = r.rules;
      parentPort.postMessage({ id: m.id, errors: r.errors, loaded: r.loaded });
    } catch (e) {
      parentPort.postMessage({ id: m.id, fatal: String(e && e.message || e) });
    }
  } else if (m.op === 'scan') {
    try {
      const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      const res = rules ? rules.scan(data) : [];
      parentPort.postMessage({ id: m.id, matches: res.map((r) => ({ rule: r.ruleIdentifier, meta: r.meta })) });
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
    }
  }
});
`;

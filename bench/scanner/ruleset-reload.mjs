#!/usr/bin/env node
// bench/scanner/ruleset-reload.mjs — what a real YARA rule collection costs the scanner process:
// load time and memory, and whether memory stays flat over reloads. One command (as root):
//   node bench/scanner/ruleset-reload.mjs --rules DIR [--reloads 5] [--uid 999 --gid 995]
// Every .yar/.yara file under DIR (not index files, which only `include` — includes are off —
// nor deprecated/ folders) becomes one unit, as the daemon's loader makes them; the set is
// compiled into the scanner `--reloads` times, each new set replacing and releasing the previous
// one as a definitions reload does. Prints per load: ms, rules, files refused, the scanner's VmRSS; then VmHWM.
// Peer in the same run: `yarac` compiling the files that compiled (Debian's yara, same libyara),
// its time and max RSS from /usr/bin/time when present.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startScanner } from './start.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const DIR = opt('--rules', null);
const RELOADS = Number(opt('--reloads', '5'));
const UID = Number(opt('--uid', '65534'));
const GID = Number(opt('--gid', '65534'));
const log = (s) => process.stderr.write(`[bench-ruleset] ${s}\n`);
if (!DIR) throw new Error('--rules DIR is required (e.g. a checkout of github.com/Yara-Rules/rules)');

const files = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) { if (e.name !== 'deprecated' && !e.name.startsWith('.')) walk(p); }
    else if (/\.(yar|yara)$/.test(e.name) && !/index/i.test(e.name)) files.push(p);
  }
};
walk(DIR);
files.sort();
if (files.length === 0) throw new Error(`no .yar/.yara file under ${DIR}`);
const units = files.map((f) => ({ file: f, source: fs.readFileSync(f, 'utf8') }));
const rss = (pid, field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const { scanner } = await startScanner(log, { uid: UID, gid: GID });
const pid = scanner.health().pid;
console.log(`${files.length} rule files from ${DIR}; scanner idle ${rss(pid, 'VmRSS').toFixed(1)} MB`);
let refused = new Set();
try {
  for (let i = 0; i < RELOADS; i++) {
    const t0 = performance.now();
    const load = await scanner.loadYara(units, i + 1);
    const ms = performance.now() - t0;
    if (i > 0) await scanner.release(i);
    await new Promise((r) => setTimeout(r, 200));
    refused = new Set(load.errors.map((e) => e.file));
    console.log(`load ${i + 1}: ${ms.toFixed(0)} ms, ${load.rules} rules, ${refused.size} files refused, scanner VmRSS ${rss(pid, 'VmRSS').toFixed(1)} MB`);
  }
  console.log(`scanner VmHWM ${rss(pid, 'VmHWM').toFixed(1)} MB (two sets side by side during a switch)`);
} finally {
  await scanner.stop();
}
const good = files.filter((f) => !refused.has(f));
const out = path.join(os.tmpdir(), 'wdav-bench-ruleset.yarc');
const time = fs.existsSync('/usr/bin/time') ? ['/usr/bin/time', ['-f', '%e s %M KB', 'yarac', ...good, out]] : ['yarac', [...good, out]];
const t0 = performance.now();
const r = spawnSync(time[0], time[1], { encoding: 'utf8' });
const ms = performance.now() - t0;
fs.rmSync(out, { force: true });
if (r.status !== 0) console.log(`yarac failed on the ${good.length} files the scanner compiled: ${r.stderr.split('\n').slice(-3).join(' ')}`);
else console.log(`yarac (peer, the same ${good.length} files): ${ms.toFixed(0)} ms${time[0] === '/usr/bin/time' ? `, ${r.stderr.trim().split('\n').pop()}` : ''}`);

#!/usr/bin/env node
// bench/scanner/roundtrip.mjs — what moving YARA into the scanner process costs per file, one
// command (as root):
//   node bench/scanner/roundtrip.mjs [--files 2000] [--size 65536] [--rules 500] [--rounds 3] [--uid 65534 --gid 65534]
// Generates N files of random bytes (a few with a planted string) and a rule set of hex and text
// strings, then scans every file once per round, one at a time, through the same fd:
//   in-process   the addon's YARA threads (what the daemon does today)
//   scanner      wdav-scanner over its socket (src/scanner/process.ts), confined to --uid
//   yara CLI     `yara -r` over the directory (Debian's yara 4, the same libyara; one process)
// Then the same with --concurrency files in flight (default 8): the scanner's threads against
// the addon's. Each way must report exactly the planted files. Prints p50/p99 per file, the
// total, and the scanner's added cost per file (scanner p50 - in-process p50). Not a test: numbers depend on
// the machine and its load.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { waitQuiet } from '../common.mjs';
import { startScanner } from './start.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const FILES = Number(opt('--files', '2000'));
const SIZE = Number(opt('--size', '65536'));
const RULES = Number(opt('--rules', '500'));
const ROUNDS = Number(opt('--rounds', '3'));
const CONCURRENCY = Number(opt('--concurrency', '8'));
const UID = Number(opt('--uid', '65534'));
const GID = Number(opt('--gid', '65534'));
const THREADS = 4; // both sides: the addon's YARA pool and the scanner's
const DIR = '/var/tmp/wdav-bench-scanner';
const log = (s) => process.stderr.write(`[bench-scanner] ${s}\n`);

const { native, scanner } = await startScanner(log, { uid: UID, gid: GID, threads: THREADS });

// Deterministic inputs: a seeded byte stream.
let seed = 0x12345678;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 256).toString(16).padStart(2, '0')).join(' ');
const rules = [];
for (let i = 0; i < RULES; i++) {
  rules.push(`rule bench_${i} { strings: $h = { ${hex(8)} } $t = "wdav-bench-text-${i}-${Math.floor(rand() * 1e9)}" condition: any of them }`);
}
const planted = new Set();
fs.rmSync(DIR, { recursive: true, force: true });
fs.mkdirSync(DIR, { recursive: true });
for (let i = 0; i < FILES; i++) {
  const b = crypto.randomBytes(SIZE);
  if (i % 100 === 7) {
    const m = /"(wdav-bench-text-[^"]+)"/.exec(rules[i % RULES]);
    Buffer.from(m[1]).copy(b, 100);
    planted.add(`f${i}`);
  }
  fs.writeFileSync(path.join(DIR, `f${i}`), b);
}
const files = fs.readdirSync(DIR).sort();
for (const f of files) fs.readFileSync(path.join(DIR, f)); // hot cache for everyone
const units = [{ file: 'bench.yar', source: rules.join('\n') }];
fs.writeFileSync('/var/tmp/wdav-bench-scanner.yar', rules.join('\n'));

const compiled = await native.yaraCompile(units);
await scanner.loadYara(units);

const pct = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];
let id = 1;
async function runWay(way) {
  const times = [];
  const hits = new Set();
  const t0 = process.hrtime.bigint();
  for (const f of files) {
    const fd = fs.openSync(path.join(DIR, f), 'r');
    const s = process.hrtime.bigint();
    let matched;
    if (way === 'in-process') {
      const r = await native.yaraScan(compiled.rules, fd, { id: id++, limitMs: 5000, maxBytes: 1 << 30 });
      matched = r.matches.length > 0;
    } else {
      const r = await scanner.scan(fd, { limitMs: 5000, maxBytes: 1 << 30 });
      matched = r.matches.length > 0;
    }
    times.push(Number(process.hrtime.bigint() - s) / 1000);
    fs.closeSync(fd);
    if (matched) hits.add(f);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  if (hits.size !== planted.size || [...hits].some((h) => !planted.has(h))) throw new Error(`${way}: found ${hits.size}, planted ${planted.size}`);
  return { p50: pct(times, 0.5), p99: pct(times, 0.99), total };
}
async function runConcurrent(way) {
  const hits = new Set();
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const fd = fs.openSync(path.join(DIR, f), 'r');
      const r = way === 'in-process'
        ? await native.yaraScan(compiled.rules, fd, { id: id++, limitMs: 5000, maxBytes: 1 << 30, realTime: true })
        : await scanner.scan(fd, { limitMs: 5000, maxBytes: 1 << 30, realTime: true });
      fs.closeSync(fd);
      if (r.matches.length > 0) hits.add(f);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  if (hits.size !== planted.size) throw new Error(`${way} x${CONCURRENCY}: found ${hits.size}, planted ${planted.size}`);
  return { total };
}
function runCli() {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('yara', ['-r', '/var/tmp/wdav-bench-scanner.yar', DIR], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`yara: ${r.stderr}`);
  const hits = new Set(r.stdout.split('\n').filter(Boolean).map((l) => path.basename(l.split(' ')[1])));
  if (hits.size !== planted.size) throw new Error(`yara CLI: found ${hits.size}, planted ${planted.size}`);
  return { total };
}

const results = { 'in-process': [], scanner: [], 'yara CLI': [] };
const concurrent = { 'in-process': [], scanner: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const busy = await waitQuiet(120_000, log);
    log(`round ${round + 1}/${ROUNDS} (others used ${(busy * 100).toFixed(0)}% CPU just before)`);
    results['in-process'].push(await runWay('in-process'));
    results.scanner.push(await runWay('scanner'));
    results['yara CLI'].push(runCli());
    concurrent['in-process'].push(await runConcurrent('in-process'));
    concurrent.scanner.push(await runConcurrent('scanner'));
  }
} finally {
  await scanner.stop();
}
const med = (a, k) => pct(a.map((x) => x[k]), 0.5);
console.log(`${FILES} files of ${SIZE} bytes (${planted.size} planted), ${RULES} rules (${compiled.ruleCount} compiled), ${ROUNDS} rounds, median of rounds`);
console.log('way            p50 µs/file   p99 µs/file   total ms');
for (const [way, r] of Object.entries(results)) {
  const p50 = way === 'yara CLI' ? '-' : med(r, 'p50').toFixed(1);
  const p99 = way === 'yara CLI' ? '-' : med(r, 'p99').toFixed(1);
  console.log(`${way.padEnd(14)} ${String(p50).padStart(11)}   ${String(p99).padStart(11)}   ${med(r, 'total').toFixed(0).padStart(8)}`);
}
console.log(`scanner process adds ${(med(results.scanner, 'p50') - med(results['in-process'], 'p50')).toFixed(1)} µs per file at p50 (${(med(results.scanner, 'total') / med(results['in-process'], 'total')).toFixed(2)}x the in-process total)`);
for (const [way, r] of Object.entries(concurrent)) {
  const ms = med(r, 'total');
  console.log(`${`${way} x${CONCURRENCY}`.padEnd(16)} ${ms.toFixed(0).padStart(6)} ms total, ${((FILES / ms) * 1000).toFixed(0)} files/s (${THREADS} YARA threads)`);
}
console.log(`with ${CONCURRENCY} in flight the scanner takes ${(med(concurrent.scanner, 'total') / med(concurrent['in-process'], 'total')).toFixed(2)}x the in-process total`);
native.yaraRelease?.(compiled.rules);

// bench/engine/yara-rules.mjs — YARA rules alone: load time, memory and scan throughput of a
// generated rule set (default 5,000 rules; text, hex with wildcards and jumps, some regular
// expressions) over a generated corpus, each measurement in a fresh process.
//   node bench/engine/yara-rules.mjs [--rules N] [--dist DIR]...
// --dist (repeatable; default ./dist) names the build to measure, so one run compares two
// checkouts (e.g. --dist /path/to/old/dist --dist dist). Prints one line per build: load wall
// and CPU time, RSS growth after the load and peak (VmHWM) growth, MB/s per core over the corpus.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

if (args[0] === '--child') {
  const [, dist, defs, corpus] = args;
  const { loadDefinitionSet } = await import(pathToFileURL(path.join(dist, 'definitions', 'loader.js')).href);
  const { loadNative } = await import(pathToFileURL(path.join(dist, 'shared', 'native.js')).href);
  const { createEngine } = await import(pathToFileURL(path.join(dist, 'engine', 'engine.js')).href);
  const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  globalThis.gc();
  const rss0 = process.memoryUsage().rss;
  const hwm0 = hwm();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const set = await loadDefinitionSet([defs], { native: loadNative(), env: {} });
  const loadMs = performance.now() - t0;
  const loadCpu = process.cpuUsage(c0);
  globalThis.gc();
  const rss1 = process.memoryUsage().rss;
  const engine = createEngine({ definitions: set });
  const ctx = { origin: 'on_demand', scanArchives: false, maxFileSize: 0 };
  const files = fs.readdirSync(corpus).map((f) => path.join(corpus, f));
  let bytes = 0;
  let detected = 0;
  for (const f of files) await engine.scan({ path: f }, ctx); // warm-up
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  for (const f of files) {
    const r = await engine.scan({ path: f }, ctx);
    if (r.kind === 'detected') detected++;
    if (r.kind === 'clean' || r.kind === 'detected') bytes += r.bytes;
  }
  const scanMs = performance.now() - t1;
  const sc = process.cpuUsage(c1);
  const mb = bytes / 2 ** 20;
  console.log(JSON.stringify({
    loadMs: Math.round(loadMs), loadCpuMs: Math.round((loadCpu.user + loadCpu.system) / 1000),
    rules: set.report.formats.yar?.loaded ?? 0, problems: set.report.problems.length,
    rssGrowthMB: Math.round((rss1 - rss0) / 2 ** 20), peakGrowthMB: Math.round((hwm() - hwm0) / 2 ** 20),
    MB: Math.round(mb), files: files.length, detected,
    wallMBps: Math.round(mb / (scanMs / 1000)), perCoreMBps: Math.round(mb / ((sc.user + sc.system) / 1e6)),
  }));
  await set.close();
  process.exit(0);
}

let seed = 7;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const word = (n) => Array.from({ length: n }, () => String.fromCharCode(97 + rnd(26))).join('');
const hexb = () => rnd(256).toString(16).padStart(2, '0');

function rules(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const hex = `${hexb()} ${hexb()} ${hexb()} ${rnd(2) ? '??' : `${hexb()[0]}?`} ${hexb()} ${hexb()} [${rnd(8)}-${8 + rnd(40)}] ${hexb()} ${hexb()} ${hexb()}`;
    const re = i % 10 === 0 ? `\n    $c = /${word(4)}[0-9]{2,6}${word(3)}/` : '';
    out.push(`rule gen_${i} {\n  meta:\n    threat_type = "virus"\n  strings:\n    $a = "${word(8 + rnd(9))}"\n    $b = { ${hex} }${re}\n  condition:\n    ${rnd(3) ? 'any of them' : '2 of them'}\n}\n`);
  }
  return out.join('\n');
}

function corpus(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 40; i++) {
    const size = (1 + (i % 4)) << 20;
    const b = Buffer.alloc(size);
    if (i % 2) for (let k = 0; k < size; k++) b[k] = 32 + rnd(95);
    else for (let k = 0; k < size; k += 4) b.writeUInt32LE(rnd(0x7fffffff), k);
    fs.writeFileSync(path.join(dir, `f${i}.bin`), b);
  }
}

let n = 5000;
const dists = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rules') n = Number(args[++i]);
  else if (args[i] === '--dist') dists.push(path.resolve(args[++i]));
}
if (!dists.length) dists.push(path.resolve(here, '..', '..', 'dist'));
const work = process.env.WDAV_BENCH_DIR ?? path.join(os.tmpdir(), 'wdav-bench-yara');
const defs = path.join(work, `rules-${n}`);
if (!fs.existsSync(defs)) {
  fs.mkdirSync(defs, { recursive: true });
  fs.writeFileSync(path.join(defs, 'gen.yar'), rules(n));
}
if (!fs.existsSync(path.join(work, 'corpus'))) corpus(path.join(work, 'corpus'));
console.log(`${os.cpus().length} x ${os.cpus()[0]?.model}, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${n} rules`);
for (const dist of dists) {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', dist, defs, path.join(work, 'corpus')], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const r = JSON.parse(out.trim().split('\n').pop());
  console.log(`${dist}: load ${r.loadMs} ms (CPU ${r.loadCpuMs} ms), ${r.rules} rules, RSS growth ${r.rssGrowthMB} MB (peak ${r.peakGrowthMB} MB); scan ${r.MB} MB in ${r.files} files: ${r.wallMBps} MB/s wall, ${r.perCoreMBps} MB/s per core, ${r.detected} detected`);
}

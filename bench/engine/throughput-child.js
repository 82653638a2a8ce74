// bench/engine/throughput-child.js — engine-only throughput in a fresh process: loads a body
// signature set (from the pattern cache after the first run), scans the corpus once to warm
// the page cache, then scans it again measuring wall time and CPU time (all threads).
// WDAV_BODY_MATCHER=yara measures the libyara fallback instead.
import fs from 'node:fs';
import path from 'node:path';
import { loadDefinitionSet } from '../../dist/definitions/loader.js';
import { createEngine } from '../../dist/engine/engine.js';
import { loadNative } from '../../dist/shared/native.js';

const [defs, cacheDir, corpus, conc] = process.argv.slice(2);
const concurrency = Number(conc);
const native = loadNative();
const t0 = performance.now();
const set = await loadDefinitionSet([defs], { native, cacheDir });
const loadMs = performance.now() - t0;
const engine = createEngine({ definitions: set });
const files = fs.readdirSync(corpus).map((f) => path.join(corpus, f));
const ctx = { origin: 'on_demand', scanArchives: false, maxFileSize: 0 };

async function pass() {
  let next = 0;
  let bytes = 0;
  let detected = 0;
  const worker = async () => {
    while (next < files.length) {
      const r = await engine.scan({ path: files[next++] }, ctx);
      if (r.kind === 'clean' || r.kind === 'detected') bytes += r.bytes;
      if (r.kind === 'detected') detected++;
      if (r.kind === 'error') throw new Error(r.message);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { bytes, detected };
}

// One pass to warm the page cache, then PASSES measured passes (the corpus is ~260 MB).
const PASSES = Number(process.env.WDAV_BENCH_PASSES ?? 3);
await pass();
const cpu0 = process.cpuUsage();
const w0 = performance.now();
let bytes = 0;
let detected = 0;
for (let i = 0; i < PASSES; i++) {
  const r = await pass();
  bytes += r.bytes;
  detected = r.detected;
}
const wall = (performance.now() - w0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSec = (cpu.user + cpu.system) / 1e6;

// Cost of one threadpool round trip vs scanning a 1 MiB chunk (why every chunk is an AsyncWorker).
let hopUs;
let chunkMs;
if (set.vectorscan) {
  const s = set.vectorscan.open(-1);
  const tiny = Buffer.alloc(1);
  let h0 = performance.now();
  for (let i = 0; i < 2000; i++) await s.scan(tiny);
  hopUs = ((performance.now() - h0) * 1000) / 2000;
  const mib = fs.readFileSync(files.find((f) => fs.statSync(f).size > 2 << 20)).subarray(0, 1 << 20);
  h0 = performance.now();
  for (let i = 0; i < 50; i++) await s.scan(mib);
  chunkMs = (performance.now() - h0) / 50;
  s.close(0);
}

console.log(
  JSON.stringify({
    signatures: set.report.counts.bodySignatures,
    matcher: set.bodyMatcher,
    rejected: set.report.patternDb?.rejected,
    dbMB: +((set.report.patternDb?.bytes ?? 0) / 2 ** 20).toFixed(1),
    loadMs: Math.round(loadMs),
    cached: set.report.patternDb?.cached,
    files: files.length,
    MB: +(bytes / 2 ** 20).toFixed(1),
    detected,
    concurrency,
    wallMBps: Math.round(bytes / 2 ** 20 / wall),
    cpuSec: +cpuSec.toFixed(2),
    perCoreMBps: Math.round(bytes / 2 ** 20 / cpuSec),
    hopUs: hopUs === undefined ? null : +hopUs.toFixed(1),
    chunk1MiBms: chunkMs === undefined ? null : +chunkMs.toFixed(2),
  }),
);
await set.close();

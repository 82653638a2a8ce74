// bench/scan/floor.mjs — lower bounds for the benchmark corpus, in this process, no daemon:
//   --mode batch  (default) the native walker + the native batch read pass (scanBatch: fstat,
//                 pread, Vectorscan, the digests signature sizes ask for, archive sniff) with
//                 `threads` batches in flight, and nothing else: no verdicts, no archive walks,
//                 no queue. What the on-demand path costs above this is its JavaScript.
//   --mode chunks the previous design's floor: one patternsReadScan per 1 MiB chunk per file
//                 from JavaScript, `threads` files at once.
// Prints wall and CPU time per round, and the CPU time of each thread (main vs threadpool).
// Needs dist/ and a generated corpus (bench/scan/run.mjs makes one).
//   node bench/scan/floor.mjs [--mode batch|chunks] [--threads N] [--rounds N] [--chunk BYTES] [<bench dir>]
import fs from 'node:fs';
import path from 'node:path';
import { ROOT as root, mainAndOthers, threadCpu } from '../common.mjs';

const dist = (p) => import(path.join(root, 'dist', p));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};
const mode = opt('--mode', 'batch');
const threads = Number(opt('--threads', '2'));
const rounds = Number(opt('--rounds', '5'));
const chunk = Number(opt('--chunk', String(256 * 1024)));
const dir = args[0] ?? '/var/tmp/wdav-bench-scan';

const { loadNative } = await dist('shared/native.js');
const { loadDefinitionSet } = await dist('definitions/loader.js');
const { ScanWalker } = await dist('scan/walker.js');
const { BATCH_KEEP_ARCHIVES_OPEN, REC, scanBatchBinding } = await dist('engine/batch-native.js');
const native = loadNative();
const set = await loadDefinitionSet([path.join(dir, 'sigs')], { native, cacheDir: path.join(dir, 'cache-inproc') });
if (!set.vectorscan) throw new Error('no Vectorscan matcher (native addon built without libhs?)');
const b = scanBatchBinding(native);
if (!b) throw new Error('the native addon has no scanBatch (rebuild it)');
const plan = b.scanPlan({ db: set.vectorscan.database, bodyCount: set.bodyCount, chunkSize: chunk, ...set.hashPlan() });

/** Runs `one(fds, sizes, from, to)` over the walk, `threads` groups at once. */
async function drive(one) {
  const walker = new ScanWalker(native, { roots: [path.join(dir, 'corpus')], exclusions: null });
  let inflight = 0;
  let wake = null;
  for (let batch; (batch = await walker.next()); ) {
    let i = 0;
    while (i < batch.length) {
      let j = i;
      let bytes = 0;
      while (j < batch.length && j - i < 64 && bytes < 4 << 20) bytes += batch.sizes[j++];
      while (inflight >= threads) await new Promise((res) => (wake = res));
      inflight++;
      void one(batch, i, j).then(() => {
        inflight--;
        const w = wake;
        wake = null;
        w?.();
      });
      i = j;
    }
  }
  while (inflight) await new Promise((res) => (wake = res));
}

const records = Array.from({ length: threads }, () => Buffer.alloc(64 * REC.size));
const chunkBufs = Array.from({ length: threads }, () => Buffer.allocUnsafe(1 << 20));
let files = 0;
let bytes = 0;
let matched = 0;

async function batchOne(batch, from, to) {
  const rec = records.pop();
  const fds = batch.fds.subarray(from, to);
  await b.scanBatch(plan, fds, rec, 0, BATCH_KEEP_ARCHIVES_OPEN, null, null);
  for (let k = 0; k < fds.length; k++) {
    const at = k * REC.size;
    files++;
    bytes += rec.readDoubleLE(at + REC.bytes);
    if (rec.readInt32LE(at + REC.body) >= 0) matched++;
    if (rec.readUInt32LE(at + REC.flags) & 32) fs.closeSync(fds[k]); // archives left open
  }
  records.push(rec);
}

async function chunksOne(batch, from, to) {
  const buf = chunkBufs.pop();
  for (let k = from; k < to; k++) {
    const fd = batch.fds[k];
    const size = batch.sizes[k];
    const s = set.vectorscan.open(size);
    let pos = 0;
    while (pos < size) {
      const n = await s.readAndScan(fd, buf, Math.min(buf.length, size - pos), pos);
      if (!n) break;
      pos += n;
    }
    if (s.close(pos).length) matched++;
    files++;
    bytes += pos;
    fs.closeSync(fd);
  }
  chunkBufs.push(buf);
}

for (let r = 0; r < rounds; r++) {
  files = bytes = matched = 0;
  const c0 = threadCpu();
  const t0 = performance.now();
  await drive(mode === 'chunks' ? chunksOne : batchOne);
  const ms = performance.now() - t0;
  const c1 = threadCpu();
  const { main, others } = mainAndOthers(c0, c1);
  console.log(`${mode} round ${r + 1}: ${files} files, ${(bytes / 1e6).toFixed(0)} MB, body matches ${matched}: ${ms.toFixed(0)} ms (${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s), CPU main ${main} ms + other threads ${others} ms`);
}
await set.close?.();
process.exit(0);

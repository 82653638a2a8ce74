// bench/scan/floor.mjs — the lower bound of the current native primitives for the benchmark
// corpus: the native walker plus one patternsReadScan per 1 MiB chunk per file (Vectorscan
// body signatures only: no hashes, archives, verdicts, queue or daemon), `threads` files at
// once. What the full engine path costs above this is per-file JavaScript (docs/benchmarks-
// scan-draft.md). Needs dist/ and a generated corpus (bench/scan/run.mjs makes one).
//   node bench/scan/floor.mjs [--threads N] [<bench dir>]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(root, 'dist', p));
const args = process.argv.slice(2);
const ti = args.indexOf('--threads');
const threads = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 2;
const dir = args[0] ?? '/var/tmp/wdav-bench-scan';

const { loadNative } = await dist('shared/native.js');
const { loadDefinitionSet } = await dist('definitions/loader.js');
const { ScanWalker } = await dist('scan/walker.js');
const native = loadNative();
const set = await loadDefinitionSet([path.join(dir, 'sigs')], { native, cacheDir: path.join(dir, 'cache-inproc') });
if (!set.vectorscan) throw new Error('no Vectorscan matcher (native addon built without libhs?)');

for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const walker = new ScanWalker(native, { roots: [path.join(dir, 'corpus')], exclusions: null });
  const free = Array.from({ length: threads }, () => Buffer.allocUnsafe(1 << 20));
  let files = 0;
  let bytes = 0;
  let hits = 0;
  let inflight = 0;
  let wake = null;
  const one = async (fd, size, buf) => {
    const s = set.vectorscan.open(size);
    let pos = 0;
    while (pos < size) {
      const n = await s.readAndScan(fd, buf, Math.min(buf.length, size - pos), pos);
      if (!n) break;
      pos += n;
    }
    if (s.close(pos).length) hits++;
    files++;
    bytes += pos;
    fs.closeSync(fd);
  };
  for (let b; (b = await walker.next()); ) {
    for (let i = 0; i < b.length; i++) {
      while (inflight >= threads) await new Promise((res) => (wake = res));
      inflight++;
      const buf = free.pop();
      void one(b.fds[i], b.sizes[i], buf).then(() => {
        free.push(buf);
        inflight--;
        const w = wake;
        wake = null;
        w?.();
      });
    }
  }
  while (inflight) await new Promise((res) => (wake = res));
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  console.log(`round ${r + 1}: ${files} files, ${(bytes / 1e6).toFixed(0)} MB, files with body hits ${hits}: ${ms.toFixed(0)} ms (${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s), CPU ${((c.user + c.system) / 1000).toFixed(0)} ms`);
}
await set.close?.();
process.exit(0);

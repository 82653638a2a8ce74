// bench/scan/inproc.mjs — the on-demand scan path without the daemon around it: the real
// engine and definitions, the native walker, ScanJob through a ScanQueue, in this process.
// For profiling (node --cpu-prof bench/scan/inproc.mjs DIR) and for seeing what the API, CLI
// and stream add. Needs `npx tsc -p tsconfig.json` (imports dist/).
//   node bench/scan/inproc.mjs [--threads N] [--repeat N] <bench dir>
import fs from 'node:fs';
import path from 'node:path';
import { ROOT as root, mainAndOthers, threadCpu } from '../common.mjs';

const dist = (p) => import(path.join(root, 'dist', p));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const threads = Number(opt('--threads', '2'));
const repeat = Number(opt('--repeat', '3'));
const dir = args[0] ?? '/var/tmp/wdav-bench-scan';

const { loadNative } = await dist('shared/native.js');
const { loadDefinitionSet } = await dist('definitions/loader.js');
const { createEngine } = await dist('engine/engine.js');
const { ScanQueue } = await dist('scan/queue.js');
const { Limiter } = await dist('scan/limiter.js');
const { ScanWalker } = await dist('scan/walker.js');
const { ScanJob } = await dist('scan/job.js');

const native = loadNative();
let t0 = performance.now();
const set = await loadDefinitionSet([path.join(dir, 'sigs')], { native, cacheDir: path.join(dir, 'cache-inproc') });
console.log(`definitions loaded in ${(performance.now() - t0).toFixed(0)} ms; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
const engine = createEngine({ definitions: set });
const queue = new ScanQueue(4096, 4);
const limiter = new Limiter(threads);
for (let r = 0; r < repeat; r++) {
  const walker = new ScanWalker(native, { roots: [path.join(dir, 'corpus')], exclusions: null });
  const found = [];
  const job = new ScanJob({
    type: 'custom', paths: [dir], ignoreExclusions: false, requestedBy: 0, engine, queue, limiter, walker,
    scanArchives: process.env.NOARCH ? false : true, maxFileSize: 0, computeHash: false,
    onDetection: async (_j, d) => void found.push(d.threat.path),
  });
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const th0 = threadCpu();
  const s = await job.run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const split = mainAndOthers(th0, threadCpu());
  console.log(`run ${r}: ${s.state} ${s.filesScanned} files ${(s.bytesScanned / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms = ${(s.bytesScanned / 1e6 / (ms / 1000)).toFixed(0)} MB/s; threats ${s.threatsDetected}; skipped ${s.skipped}; errors ${s.errors}; cpu user ${(cpu.user / 1000).toFixed(0)} ms sys ${(cpu.system / 1000).toFixed(0)} ms (main thread ${split.main} ms, other threads ${split.others} ms)`, JSON.stringify(s.details.errorsBy));
}
const mu = process.memoryUsage();
console.log(`memory now: rss ${(mu.rss / 2 ** 20).toFixed(0)} MB, heap used ${(mu.heapUsed / 2 ** 20).toFixed(0)} / total ${(mu.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(mu.external / 2 ** 20).toFixed(0)} MB, arrayBuffers ${(mu.arrayBuffers / 2 ** 20).toFixed(0)} MB`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await set.close?.();
process.exit(0);

// maximumOnDemandScanThreads bounds the files scanned at once, across every scan sharing the
// limiter; the queue sees the work in its on-demand lane and real-time work still gets
// through while a scan runs.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../src/engine/types.js';
import { tmpDir } from '../helpers/scan-walk.js';
import { makeJob } from '../helpers/scan-job.js';
import { ScanJob } from '../../src/scan/job.js';
import { ScanWalker } from '../../src/scan/walker.js';
import { loadNative } from '../../src/shared/native.js';

function counting(): { wrap: (e: Engine) => Engine; max: () => number } {
  let now = 0;
  let max = 0;
  return {
    max: () => max,
    wrap: (e) => ({
      get generation() {
        return e.generation;
      },
      async scan(src, ctx) {
        max = Math.max(max, ++now);
        try {
          await new Promise((r) => setTimeout(r, 2));
          return await e.scan(src, ctx);
        } finally {
          now--;
        }
      },
    }),
  };
}

for (const threads of [1, 3]) {
  t.test(`${threads} thread(s), two scans sharing them`, async (t) => {
    const root = tmpDir(t);
    // Large enough files that every group holds one file: the limit is per file.
    for (let f = 0; f < 40; f++) fs.writeFileSync(path.join(root, `f${f}`), Buffer.alloc(1 << 20, f));
    const c = counting();
    const a = makeJob([root], { threads, wrap: c.wrap });
    // A second scan on the same limiter and queue.
    const b = new ScanJob({
      type: 'custom', paths: [root], ignoreExclusions: false, requestedBy: 0, engine: a.engine, queue: a.queue, limiter: a.limiter,
      walker: new ScanWalker(loadNative(), { roots: [root], exclusions: null }), scanArchives: false, maxFileSize: 0, computeHash: false, onDetection: async () => {},
    });
    let rtDone = false;
    const runs = Promise.all([a.job.run(), b.run()]);
    await new Promise((r) => setTimeout(r, 20));
    await a.queue.tryAdd(async () => (rtDone = true));
    const [sa, sb] = await runs;
    t.ok(rtDone, 'a real-time task ran during the scans');
    t.equal(sa.filesScanned + sb.filesScanned, 80);
    t.equal(c.max() <= threads, true, `at most ${threads} at once (saw ${c.max()})`);
    t.equal(a.limiter.inUse, 0);
  });
}

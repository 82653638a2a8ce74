// A scan job over an engine with scanBatch (the real engine, native read pass, Vectorscan body
// signatures): planted detections in many groups and inside archives are all reported with
// their paths, files and bytes are counted, every fd is closed, and maximumOnDemandScanThreads
// bounds the native read passes running at once (each runs on one threadpool thread).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine, type ScanEngine } from '../../src/engine/engine.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { Engine } from '../../src/engine/types.js';
import { ScanJob, type Detected } from '../../src/scan/job.js';
import { Limiter } from '../../src/scan/limiter.js';
import { ScanQueue } from '../../src/scan/queue.js';
import { ScanWalker } from '../../src/scan/walker.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet } from '../helpers/engine-fixtures.js';
import { gzip, makeTar, makeZip } from '../helpers/archive-fixtures.js';
import { openFdCount, tmpDir } from '../helpers/scan-walk.js';

const native = loadNative();
const skip = scanBatchBinding(native) && native.features.vectorscan ? false : 'addon without the batch scanner or libhs';
const SIG = 'PLANTED-BODY-SIGNATURE-42';

function counting(e: ScanEngine): { engine: Engine; max: () => number; calls: () => number } {
  let now = 0;
  let max = 0;
  let calls = 0;
  return {
    max: () => max,
    calls: () => calls,
    engine: {
      get generation() {
        return e.generation;
      },
      scan: (src, ctx) => e.scan(src, ctx),
      // Counts native read passes in flight: from the call until the engine says the read is
      // over (the JS part that follows runs on the main thread, outside the slot).
      async scanBatch(files, ctx, readDone) {
        calls++;
        max = Math.max(max, ++now);
        let reading = true;
        const over = () => {
          if (reading) now--;
          reading = false;
          readDone?.();
        };
        try {
          return await e.scanBatch(files, ctx, over);
        } finally {
          over();
        }
      },
    },
  };
}

for (const threads of [1, 2]) {
  t.test(`planted detections, ${threads} thread(s)`, { skip }, async (t) => {
    const set = await loadSet(t, [defsDir(t, { 'b.ndb': `Planted.Body-1-0:0:*:${Buffer.from(SIG).toString('hex')}\n` })]);
    const root = tmpDir(t);
    const planted: string[] = [];
    for (let d = 0; d < 6; d++) {
      const dir = path.join(root, `d${d}`);
      fs.mkdirSync(dir);
      for (let f = 0; f < 60; f++) fs.writeFileSync(path.join(dir, `c${f}.txt`), `clean file ${d}/${f}\n`.repeat(f * 40 + 1));
      const hit = path.join(dir, 'hit.bin');
      fs.writeFileSync(hit, Buffer.concat([Buffer.alloc(1000 * d, 9), Buffer.from(SIG)]));
      planted.push(hit);
    }
    const big = path.join(root, 'big.bin');
    fs.writeFileSync(big, Buffer.concat([Buffer.alloc(3 << 20, 1), Buffer.from(SIG), Buffer.alloc(1000, 2)]));
    planted.push(big);
    const zip = path.join(root, 'd0', 'in.zip');
    fs.writeFileSync(zip, makeZip([{ name: 'x.txt', data: Buffer.concat([Buffer.alloc(4000, 'z'), Buffer.from(SIG)]) }]));
    planted.push(zip);
    const tgz = path.join(root, 'd1', 'in.tar.gz');
    fs.writeFileSync(tgz, gzip(makeTar([{ name: 'y.txt', data: Buffer.concat([Buffer.alloc(4000, 'y'), Buffer.from(SIG)]) }])));
    planted.push(tgz);
    const c = counting(createEngine({ definitions: set, native }));
    const fds = openFdCount();
    const detected: Detected[] = [];
    const job = new ScanJob({
      type: 'custom', paths: [root], ignoreExclusions: false, requestedBy: 0, engine: c.engine, queue: new ScanQueue(64, 4), limiter: new Limiter(threads),
      walker: new ScanWalker(native, { roots: [root], exclusions: null, batch: 50 }), scanArchives: true, maxFileSize: 0, computeHash: true,
      onDetection: async (_j, d) => void detected.push(d),
    });
    const s = await job.run();
    t.equal(s.state, 'succeeded');
    t.equal(s.filesScanned, 6 * 61 + 3);
    t.equal(s.threatsDetected, planted.length);
    t.same(detected.map((d) => d.threat.path).sort(), planted.sort());
    t.ok(detected.every((d) => d.threat.name === 'Planted.Body-1-0' && /^[0-9a-f]{64}$/.test(d.threat.sha256 ?? '')), 'named, with sha256');
    const bytes = fs.readdirSync(root, { recursive: true }).reduce((n, p) => n + (fs.statSync(path.join(root, String(p))).isFile() ? fs.statSync(path.join(root, String(p))).size : 0), 0);
    t.equal(s.bytesScanned, bytes, 'every byte counted');
    t.equal(openFdCount(), fds, 'every fd closed');
    t.ok(c.calls() > 1, `files went in several batches (${c.calls()})`);
    t.ok(c.max() <= threads, `at most ${threads} batch(es) at once (saw ${c.max()})`);
  });
}

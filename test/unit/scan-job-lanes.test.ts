// A scan job over the real engine with on-demand lanes (setScanThreads, as the scan manager
// sets it): every planted detection is reported and every fd closed; the limiter bounds the
// batches given to the lanes (threads × LANE_DEPTH, the running one included); and the queue
// task of a batch ends once the batch is on its lane, so on-demand work does not hold the
// shared queue's slots while it waits there: with a queue that runs one task at a time, more
// than one batch still sits on the lanes at once (were the slot held until the read pass ends,
// the queue would let only one batch at a time reach them).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { LANE_DEPTH } from '../../src/engine/batch.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { Engine } from '../../src/engine/types.js';
import { ScanJob, type Detected } from '../../src/scan/job.js';
import { Limiter } from '../../src/scan/limiter.js';
import { ScanQueue } from '../../src/scan/queue.js';
import { ScanWalker } from '../../src/scan/walker.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet } from '../helpers/engine-fixtures.js';
import { openFdCount, tmpDir } from '../helpers/scan-walk.js';

const native = loadNative();
const skip = scanBatchBinding(native)?.scanLane && native.features.vectorscan ? false : 'addon without scan lanes or libhs';
const SIG = 'LANE-JOB-SIGNATURE-7';

t.test('planted detections through 2 lanes', { skip }, async (t) => {
  const set = await loadSet(t, [defsDir(t, { 'l.ndb': `Lane.Body-1-0:0:*:${Buffer.from(SIG).toString('hex')}\n` })]);
  const root = tmpDir(t);
  const planted: string[] = [];
  for (let d = 0; d < 8; d++) {
    const dir = path.join(root, `dir${d}`);
    fs.mkdirSync(dir);
    for (let f = 0; f < 80; f++) {
      const p = path.join(dir, `file${f}`);
      const hit = f % 23 === d;
      fs.writeFileSync(p, Buffer.concat([Buffer.alloc(200 + 97 * f, 0x41 + d), hit ? Buffer.from(SIG) : Buffer.alloc(0)]));
      if (hit) planted.push(p);
    }
  }
  const real = createEngine({ definitions: set, native });
  const threads = 2;
  const depth = real.setScanThreads!(threads);
  t.equal(depth, LANE_DEPTH);
  let onLanes = 0;
  let maxOnLanes = 0;
  let batches = 0;
  const engine: Engine = {
    get generation() {
      return real.generation;
    },
    scan: (src, ctx) => real.scan(src, ctx),
    async scanBatch(files, ctx, readDone, posted) {
      batches++;
      let state: 'new' | 'posted' | 'read' = 'new';
      const read = (): void => {
        if (state === 'posted') onLanes--;
        state = 'read';
        readDone?.();
      };
      return real.scanBatch(files, ctx, read, () => {
        state = 'posted';
        maxOnLanes = Math.max(maxOnLanes, ++onLanes);
        posted?.();
      }).finally(read);
    },
  };
  const queue = new ScanQueue(64, 1);
  const fds = openFdCount();
  const detected: Detected[] = [];
  const job = new ScanJob({
    type: 'custom', paths: [root], ignoreExclusions: false, requestedBy: 0, engine, queue, limiter: new Limiter(threads * depth),
    walker: new ScanWalker(native, { roots: [root], exclusions: null, batch: 20 }), scanArchives: true, maxFileSize: 0, computeHash: false,
    onDetection: async (_j, d) => void detected.push(d),
  });
  const s = await job.run();
  t.equal(s.state, 'succeeded');
  t.equal(s.filesScanned, 8 * 80);
  t.same(detected.map((d) => d.threat.path).sort(), planted.sort(), 'every planted file, by path');
  t.equal(openFdCount(), fds, 'every fd closed');
  t.ok(batches > threads * depth, `many batches (${batches})`);
  t.ok(maxOnLanes <= threads * depth, `at most ${threads * depth} batches on the lanes at once (saw ${maxOnLanes})`);
  t.ok(maxOnLanes >= 2, `batches left the one-task queue once on a lane: ${maxOnLanes} on the lanes at once`);
});

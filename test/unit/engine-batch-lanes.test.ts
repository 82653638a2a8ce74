// On-demand batches on the engine's own scanning lanes (engine.setScanThreads, native
// scanLane/laneBatch): every file gets the verdict the threadpool path gives it, each batch is
// reported posted before its read pass is over, at most maximumOnDemandScanThreads lane threads
// exist and they run below the daemon's CPU priority, and an idle lane does not keep the
// process alive.
import t from 'tap';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createEngine } from '../../src/engine/engine.js';
import { LANE_DEPTH, LANE_NICE } from '../../src/engine/batch.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { ScanContext } from '../../src/engine/types.js';
import { loadNative } from '../../src/shared/native.js';
import { ROOT } from '../helpers/daemon.js';
import { defsDir, loadSet, tmpDir } from '../helpers/engine-fixtures.js';
import { eicar, makeZip } from '../helpers/archive-fixtures.js';
import { openAll, perFile, put, rand, verdictOf, writeFiles } from '../helpers/batch-fixtures.js';

const native = loadNative();
const b = scanBatchBinding(native);
const skip = b?.scanLane && native.features.vectorscan ? false : 'addon without scan lanes or libhs';
const SIG = 'LANE-SIGNATURE-XYZ';
const ctx: ScanContext = { origin: 'on_demand', scanArchives: true, maxFileSize: 0, computeHash: false };

function files(): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < 300; i++) {
    const kind = i % 10;
    out[`f${String(i).padStart(3, '0')}.bin`] =
      kind === 3 ? put(rand(5000 + i, i), 100 + i, SIG) : kind === 7 ? makeZip([{ name: `m${i}.txt`, data: put(Buffer.alloc(800, 'z'), 9, SIG) }]) : kind === 9 ? eicar() : rand(1000 + 37 * i, i);
  }
  return out;
}

/** The nice values of this process's threads named like lanes (field 19 of /proc/self/task/TID/stat). */
function laneNice(): number[] {
  return fs.readdirSync('/proc/self/task').flatMap((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'wdav-scan-lane') return [];
    return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
  });
}

t.test('lanes give the threadpool verdicts, report posted before read, and run niced', { skip }, async (t) => {
  const set = await loadSet(t, [defsDir(t, { 'lane.ndb': `Test.Lane.Body-1-0:0:*:${Buffer.from(SIG).toString('hex')}\n` })]);
  const dir = tmpDir(t);
  const paths = writeFiles(dir, files());
  const chunks = [0, 64, 128, 192, 256, 300];

  const reference = createEngine({ definitions: set, native });
  const want: string[] = [];
  for (let c = 0; c + 1 < chunks.length; c++) {
    const p = paths.slice(chunks[c], chunks[c + 1]);
    want.push(...perFile(await reference.scanBatch!({ fds: openAll(p), path: (i) => p[i]! }, ctx), p.length).map(verdictOf));
  }
  t.ok(want.filter((v) => v.startsWith('Test.Lane.Body')).length >= 60, 'body hits, inside zips too');

  const lanesBefore = laneNice().length;
  const engine = createEngine({ definitions: set, native });
  t.equal(engine.setScanThreads!(2), LANE_DEPTH, 'each lane holds LANE_DEPTH batches');
  const order: string[] = [];
  const runs = [];
  for (let c = 0; c + 1 < chunks.length; c++) {
    const p = paths.slice(chunks[c], chunks[c + 1]);
    // All five at once: the lanes queue them (2 threads), none waits for JavaScript.
    runs.push(
      engine.scanBatch!({ fds: openAll(p), path: (i) => p[i]! }, ctx, () => order.push(`read${c}`), () => order.push(`posted${c}`)).then((out) => perFile(out, p.length).map(verdictOf)),
    );
  }
  const got = (await Promise.all(runs)).flat();
  t.same(got, want, 'same verdict for every file as the threadpool path');
  for (let c = 0; c + 1 < chunks.length; c++) t.ok(order.indexOf(`posted${c}`) >= 0 && order.indexOf(`posted${c}`) < order.indexOf(`read${c}`), `batch ${c}: posted, then read`);
  const lanes = laneNice().slice(lanesBefore);
  t.same(lanes, [LANE_NICE, LANE_NICE], 'two lane threads, named wdav-scan-lane, at nice 5');

  // Real-time scans never take a lane: their batch (if any) stays on the threadpool.
  const rt = paths.slice(0, 10);
  const rtOut = await engine.scanBatch!({ fds: openAll(rt), path: (i) => rt[i]! }, { ...ctx, origin: 'real_time' }, undefined, () => t.fail('real-time batch posted to a lane'));
  t.same(perFile(rtOut, rt.length).map(verdictOf), want.slice(0, 10));
});

t.test('an idle lane does not keep the process alive', { skip }, async (t) => {
  // The addon alone, in a process of its own: a lane never used, and one that ran a batch and is
  // idle again, must not hold the event loop open.
  const script = `const n = require(${JSON.stringify(ROOT + '/build/Release/wdav.node')}); n.scanLane(5); const l = n.scanLane(5);
    n.laneBatch(l, n.scanPlan({ db: null, bodyCount: 0 }), new Int32Array(0), Buffer.alloc(0), 0, 0, null).then(() => console.log('made'));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.signal, null, 'exited on its own (not killed by the timeout)');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /made/);
});

t.test('laneBatch refuses bad arguments before taking anything', { skip }, async (t) => {
  const lane = b!.scanLane!(0);
  const plan = b!.scanPlan({ db: null, bodyCount: 0 });
  t.throws(() => b!.laneBatch!({} as never, plan, new Int32Array(0), Buffer.alloc(0), 0, 0, null), /scan lane expected/);
  t.throws(() => b!.laneBatch!(lane, {} as never, new Int32Array(0), Buffer.alloc(0), 0, 0, null), /scan plan expected/);
  t.throws(() => b!.laneBatch!(lane, plan, new Int32Array(4), Buffer.alloc(10), 0, 0, null), /records buffer too small/);
  t.throws(() => b!.scanLane!(40), /nice must be 0..19/);
  // An empty batch still settles, in order on its lane.
  await b!.laneBatch!(lane, plan, new Int32Array(0), Buffer.alloc(0), 0, 0, null);
  t.pass('empty batch settled');
});

// A large Vectorscan scan runs on the threadpool chunk by chunk: the event loop stays free.
// (Own file: garbage from other tests would add GC pauses to the measured gaps.)
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { CTX, engineFor, outcome, scanData, tmpDir, withLoopGaps } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

t.test('a 64 MiB Vectorscan scan does not block the event loop', async (t) => {
  const engine = await engineFor(t, { 'c.ndb': `Big.Sig-1-0:0:*:${hex('END-OF-BIG-FILE')}\n` });
  const file = path.join(tmpDir(t), 'big');
  const data = Buffer.alloc(64 << 20, 0x61);
  data.write('END-OF-BIG-FILE', data.length - 15);
  fs.writeFileSync(file, data);
  // Warm up (first-call compilation of the scan path) before measuring.
  t.equal(outcome(await scanData(t, engine, 'x END-OF-BIG-FILE')), 'Big.Sig-1-0');
  const { value: r, ms, maxGap } = await withLoopGaps(() => engine.scan({ path: file }, CTX));
  t.equal(outcome(r), 'Big.Sig-1-0');
  t.ok(maxGap < Math.max(20, ms / 4), `longest event-loop gap ${maxGap.toFixed(1)} ms during a ${ms.toFixed(0)} ms scan`);
});

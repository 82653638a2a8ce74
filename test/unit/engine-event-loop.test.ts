// A large Vectorscan scan runs on the threadpool chunk by chunk: the event loop stays free.
// (Own file: garbage from other tests would add GC pauses to the measured gaps.)
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CTX, engineFor, outcome, scanData, tmpDir, withLoopGaps } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

t.test('64 MiB Vectorscan scans do not block the event loop', async (t) => {
  // 1,000 literal patterns make Vectorscan do real work (about 1 GB/s instead of memchr speed).
  const others = Array.from({ length: 1000 }, (_, i) => `Other.Sig-${i}-0:0:*:${randomBytes(8).toString('hex')}`).join('\n');
  const engine = await engineFor(t, { 'c.ndb': `Big.Sig-1-0:0:*:${hex('END-OF-BIG-FILE')}\n${others}\n` });
  const file = path.join(tmpDir(t), 'big');
  const data = randomBytes(64 << 20);
  data.write('END-OF-BIG-FILE', data.length - 15);
  fs.writeFileSync(file, data);
  // Warm up (first-call compilation of the scan path) before measuring.
  t.equal(outcome(await scanData(t, engine, 'x END-OF-BIG-FILE')), 'Big.Sig-1-0');
  // Four scans of 64 MiB of random bytes: long enough that one garbage collection in the
  // test process does not dominate the measurement.
  const { value: rs, ms, maxGap, elu } = await withLoopGaps(async () => {
    const out = [];
    for (let i = 0; i < 4; i++) out.push(await engine.scan({ path: file }, CTX));
    return out;
  });
  t.same(rs.map(outcome), Array(4).fill('Big.Sig-1-0'));
  t.ok(elu < 0.5, `event loop busy ${(elu * 100).toFixed(0)}% of ${ms.toFixed(0)} ms of scanning (longest timer gap ${maxGap.toFixed(1)} ms)`);
});

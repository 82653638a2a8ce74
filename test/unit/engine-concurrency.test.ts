// Scans run concurrently on the threadpool (one Vectorscan scratch per stream) with correct,
// independent results.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CTX, engineFor, outcome, tmpDir } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

t.test('60 concurrent scans, each with its own answer', async (t) => {
  const lines = Array.from({ length: 20 }, (_, i) => `Conc.Sig-${i}-0:0:*:${hex(`CONCURRENT-${String(i).padStart(2, '0')}`)}`);
  const engine = await engineFor(t, { 'c.ndb': lines.join('\n') }, {}, { chunkSize: 256 * 1024 });
  const dir = tmpDir(t);
  const expected: string[] = [];
  const files = Array.from({ length: 60 }, (_, k) => {
    const data = randomBytes(300_000 + k * 20_000).map((b) => (b === 0x43 ? 0x44 : b)); // no stray 'C'
    const i = k % 25;
    if (i < 20) data.write(`CONCURRENT-${String(i).padStart(2, '0')}`, (k * 7919) % (data.length - 20));
    expected.push(i < 20 ? `Conc.Sig-${i}-0` : 'clean');
    const p = path.join(dir, `f${k}`);
    fs.writeFileSync(p, data);
    return p;
  });
  const results = await Promise.all(files.map((p) => engine.scan({ path: p }, CTX)));
  t.same(results.map(outcome), expected);
  t.equal(engine.stats().inFlight, 0);
  t.equal(engine.stats().scans, 60);
});

// A large hash database is parsed in line-aligned ranges in parallel (native parser on the
// threadpool, or the JS parser on worker threads): every signature is found, counts add up,
// and malformed lines are reported with their line in the whole file.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { PARALLEL_MIN_BYTES } from '../../src/definitions/hash-parallel.js';
import { createEngine } from '../../src/engine/engine.js';
import { loadSet, outcome, scanData, tmpDir } from '../helpers/engine-fixtures.js';

for (const parser of ['native', 'js'] as const) t.test(`${parser}: a 20 MB .hdb split across threads`, async (t) => {
  const dir = tmpDir(t);
  const lines: string[] = [];
  const n = 320_000;
  for (let i = 0; i < n; i++) {
    const content = `sample-${i}`;
    lines.push(i === 250_000 ? 'garbage line in the second half' : `${createHash('md5').update(content).digest('hex')}:${content.length}:Win.Trojan.Par${i % 7}-${i}-0`);
  }
  fs.writeFileSync(path.join(dir, 'big.hdb'), lines.join('\n') + '\n');
  t.ok(fs.statSync(path.join(dir, 'big.hdb')).size >= PARALLEL_MIN_BYTES, 'large enough for the parallel path');
  const set = await loadSet(t, [dir], parser === 'js' ? { native: null } : {});
  const f = set.report.files[0]!;
  t.same([f.loaded, f.malformed], [n - 1, 1]);
  t.match(f.errors[0], /big\.hdb:250001: /);
  t.equal(set.report.counts.hashSignatures, n - 1);
  const engine = createEngine({ definitions: set });
  for (const i of [0, 1, 159_999, 160_000, 249_999, 250_001, n - 1]) {
    t.equal(outcome(await scanData(t, engine, `sample-${i}`)), `Win.Trojan.Par${i % 7}-${i}-0`, `signature ${i}`);
  }
  t.equal(outcome(await scanData(t, engine, 'sample-250000')), 'clean');
});

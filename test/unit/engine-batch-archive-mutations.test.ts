// Damaged archives (random bytes, bit flips, truncation, 32-bit fields forged) get the same
// verdict from an on-demand batch — where the native pass may prove an archive clean — as from
// engine.scan, whose JavaScript walker decides alone; and the batch never fails on them.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { ScanContext } from '../../src/engine/types.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet, tmpDir } from '../helpers/engine-fixtures.js';
import { gzip, makeTar, makeZip } from '../helpers/archive-fixtures.js';
import { openAll, perFile, verdictOf } from '../helpers/batch-fixtures.js';

const native = loadNative();
const skip = scanBatchBinding(native) && native.features.vectorscan ? false : 'addon without the batch scanner or libhs';
const CTX: ScanContext = { origin: 'on_demand', scanArchives: true, maxFileSize: 0 };
const SIG = 'MUTATION-TEST-SIGNATURE';
const ROUNDS = 400;

t.test('mutated archives: the batch gives the verdict of engine.scan', { skip }, async (t) => {
  const set = await loadSet(t, [defsDir(t, { 'b.ndb': `Test.Mutation.Body-1-0:0:*:${Buffer.from(SIG).toString('hex')}\n` })]);
  const engine = createEngine({ definitions: set, native });
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => 'abcdefghij \n'[Math.floor(next() * 12)]).join(''));
  const hit = Buffer.concat([text(600), Buffer.from(SIG), text(600)]);
  const seeds = [
    makeZip([{ name: 'a.txt', data: text(900) }, { name: 'h.txt', data: hit }]),
    makeZip([{ name: 'a.txt', data: text(900), method: 0 }, { name: 'dir/', data: Buffer.alloc(0), method: 0 }]),
    gzip(makeTar([{ name: 'a.txt', data: text(700) }, { name: 'h.txt', data: hit }])),
    makeTar([{ name: 'x.txt', data: text(800) }, { name: 'y.txt', data: text(300) }]),
    gzip(hit, 'hit.txt'),
    makeZip([{ name: 'n.tar.gz', data: gzip(makeTar([{ name: 'h.txt', data: hit }, { name: 'c.txt', data: text(400) }])) }]),
    // What the walker reads that the native proof leaves to it: prefixes, members it cannot
    // decompress, data after a tar's end, gzip members after the first, zips at a member's end.
    makeZip([{ name: 'a.txt', data: text(500) }, { name: 'h.txt', data: hit }], { prefix: text(700) }),
    makeZip([{ name: 'a.txt', data: text(500) }, { name: 'b.bz2', data: text(90), method: 12, size: 400 }]),
    Buffer.concat([makeTar([{ name: 'x.txt', data: text(300) }]), makeTar([{ name: 'h.txt', data: hit }])]),
    Buffer.concat([gzip(text(300)), gzip(hit)]),
    makeZip([{ name: 's.exe', data: makeZip([{ name: 'h.txt', data: hit }], { prefix: text(400) }), method: 0 }]),
  ];
  const dir = tmpDir(t);
  const file = path.join(dir, 'mutated');
  const disagree: string[] = [];
  const counts: Record<string, number> = {};
  for (let i = 0; i < ROUNDS; i++) {
    const b = Buffer.from(seeds[i % seeds.length]!);
    for (let k = Math.floor(next() * 6); k > 0; k--) {
      const at = Math.floor(next() * b.length);
      const how = Math.floor(next() * 3);
      if (how === 0) b[at] = Math.floor(next() * 256);
      else if (how === 1) b[at] = b[at]! ^ (1 << Math.floor(next() * 8));
      else if (at + 4 <= b.length) b.writeUInt32LE(next() < 0.3 ? 0xffffffff : Math.floor(next() * 70_000), at);
    }
    fs.writeFileSync(file, next() < 0.15 ? b.subarray(0, Math.floor(next() * b.length)) : b);
    const batch = verdictOf(perFile(await engine.scanBatch({ fds: openAll([file]), path: () => file }, CTX), 1)[0]!);
    const one = verdictOf(await engine.scan({ path: file }, CTX));
    counts[one] = (counts[one] ?? 0) + 1;
    if (batch !== one) disagree.push(`round ${i}: batch ${batch}, engine.scan ${one}`);
  }
  t.same(disagree, [], 'no disagreement');
  t.ok(engine.stats().archivesProvenNative > 0, `some mutated archives were still proven clean natively (${engine.stats().archivesProvenNative})`);
  t.ok(Object.keys(counts).some((v) => v.startsWith('Test.Mutation.Body')), `some still carried their detection: ${JSON.stringify(counts)}`);
});

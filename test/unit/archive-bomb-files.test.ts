import t from 'tap';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { makeZip, makeTar, gzip } from '../helpers/archive-fixtures.js';
import { eicarScanner, measure } from '../helpers/archive-scan.js';

t.test('a zip declaring more than 10,000 entries is MaxFiles once the first 10,000 were scanned', async (t) => {
  // Not refused from its directory up front: a threat among the first 10,000 would be the verdict
  // (archive-limit-after-detection.test.ts); the directory is read no further than the limit.
  const zip = makeZip(Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('a'), method: 0 as const })));
  const s = eicarScanner();
  const m = await measure(() => walkArchive(new BufferSource(zip), {}, s.scan));
  t.comment(`10,001-entry zip: ${m.ms.toFixed(1)} ms, RSS +${m.rssDeltaMiB.toFixed(1)} MiB`);
  const r = m.value;
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxFiles');
  t.equal(r.kind === 'detected' && r.detection.threatType, 'archive_bomb');
  t.equal(s.seen.length, 10_000, 'the members within the limit were scanned');
});

t.test('10,000 exactly is fine', async (t) => {
  const zip = makeZip(Array.from({ length: 10_000 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('a'), method: 0 as const })));
  const m = await measure(() => walkArchive(new BufferSource(zip), {}, eicarScanner().scan));
  t.comment(`10,000-entry zip walked: ${m.ms.toFixed(1)} ms, RSS +${m.rssDeltaMiB.toFixed(1)} MiB`);
  t.equal(m.value.kind, 'clean');
  t.equal(m.value.kind === 'clean' && m.value.members, 10_000);
});

t.test('members are counted across nested archives (tar streams have no directory to check first)', async (t) => {
  const inner = gzip(makeTar(Array.from({ length: 30 }, (_, i) => ({ name: `m${i}`, data: Buffer.from('x') }))));
  const zip = makeZip([{ name: 'a.tgz', data: inner }, { name: 'b.tgz', data: inner }]);
  const r = await walkArchive(new BufferSource(zip), { limits: { maxFiles: 50 } }, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxFiles');
  t.match(r.kind === 'detected' && r.detection.memberPath, /^b\.tgz->m\d+$/u);
});

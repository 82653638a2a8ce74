import t from 'tap';
import crypto from 'node:crypto';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { makeOverlappingZip, makeZip } from '../helpers/archive-fixtures.js';
import { eicarScanner, measure } from '../helpers/archive-scan.js';

t.test('entries sharing one kernel (overlapping local ranges) are Heuristics.Zip.OverlappingFiles', async (t) => {
  // Random data: stored 1:1, so neither the ratio nor the size limits can be what fires.
  const zip = makeOverlappingZip(crypto.randomBytes(1024 * 1024), 5000);
  const s = eicarScanner();
  const m = await measure(() => walkArchive(new BufferSource(zip), {}, s.scan));
  t.comment(`5,000 entries over one 1 MiB kernel (${zip.length} bytes, would expand to 5 GB): ${m.ms.toFixed(1)} ms, RSS +${m.rssDeltaMiB.toFixed(1)} MiB`);
  const r = m.value;
  t.equal(r.kind, 'detected');
  if (r.kind !== 'detected') return;
  t.same(r.detection, { name: 'Heuristics.Zip.OverlappingFiles', threatType: 'archive_bomb', engine: 'archive_limit' });
  t.equal(s.seen.length, 0);
  t.ok(m.ms < 2000);
});

t.test('inside another archive the bomb is named by its member path', async (t) => {
  const outer = makeZip([{ name: 'payload/inner.zip', data: makeOverlappingZip(Buffer.from('abcdefgh'.repeat(100)), 3), method: 0 }]);
  const r = await walkArchive(new BufferSource(outer), {}, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.memberPath, 'payload/inner.zip');
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Zip.OverlappingFiles');
});

t.test('adjacent honest entries do not overlap', async (t) => {
  const r = await walkArchive(new BufferSource(makeZip([{ name: 'a', data: Buffer.alloc(0) }, { name: 'b', data: Buffer.from('b') }, { name: 'c', data: Buffer.alloc(100, 3), method: 0 }])), {}, eicarScanner().scan);
  t.equal(r.kind, 'clean');
});

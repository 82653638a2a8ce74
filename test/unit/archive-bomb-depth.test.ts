import t from 'tap';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { eicar, nestZips, makeTar, gzip, makeZip } from '../helpers/archive-fixtures.js';
import { eicarScanner, measure } from '../helpers/archive-scan.js';

t.test('17 nested levels are walked; 18 and more are an archive_bomb', async (t) => {
  const ok = await walkArchive(new BufferSource(nestZips(eicar(), 'deep.bin', 17)), {}, eicarScanner().scan);
  t.equal(ok.kind, 'detected');
  if (ok.kind === 'detected') {
    t.equal(ok.detection.name, 'Virus:DOS/EICAR_Test_File', 'the payload at level 17 is found');
    t.equal(ok.detection.memberPath?.split('->').length, 17);
  }
  const m = await measure(() => walkArchive(new BufferSource(nestZips(eicar(), 'deep.bin', 25)), {}, eicarScanner().scan));
  t.comment(`25 nested zips: ${m.ms.toFixed(1)} ms, RSS +${m.rssDeltaMiB.toFixed(1)} MiB`);
  const r = m.value;
  t.equal(r.kind, 'detected');
  if (r.kind !== 'detected') return;
  t.equal(r.detection.name, 'Heuristics.Limits.Exceeded.MaxRecursion');
  t.equal(r.detection.threatType, 'archive_bomb');
  t.equal(r.detection.memberPath?.split('->').length, 17, 'named after the archive that would open level 18');
  t.ok(m.ms < 2000);
});

t.test('the depth limit is configurable and counts tar.gz as one level', async (t) => {
  const tgz = gzip(makeTar([{ name: 'x.bin', data: eicar() }]));
  const zip = makeZip([{ name: 'b.tar.gz', data: tgz }]);
  const one = await walkArchive(new BufferSource(zip), { limits: { maxDepth: 1 } }, eicarScanner().scan);
  t.equal(one.kind === 'detected' && one.detection.name, 'Heuristics.Limits.Exceeded.MaxRecursion');
  const two = await walkArchive(new BufferSource(zip), { limits: { maxDepth: 2 } }, eicarScanner().scan);
  t.equal(two.kind === 'detected' && two.detection.memberPath, 'b.tar.gz->x.bin');
});

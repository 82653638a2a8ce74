import t from 'tap';
import zlib from 'node:zlib';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { makeZip, makeTar, gzip } from '../helpers/archive-fixtures.js';
import { eicarScanner, measure } from '../helpers/archive-scan.js';

const MiB = 1024 * 1024;

function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

t.test('a zip member inflating 1000:1 is an archive_bomb before it is inflated', async (t) => {
  const bomb = makeZip([{ name: 'ok.txt', data: Buffer.from('fine') }, { name: 'zeros.bin', data: zeros(200 * MiB) }]);
  t.ok(bomb.length < 400 * 1024, `fixture is ${bomb.length} bytes`);
  const s = eicarScanner();
  const m = await measure(() => walkArchive(new BufferSource(bomb), {}, s.scan));
  t.comment(`zip ratio bomb (200 MiB of zeros in ${bomb.length} bytes): ${m.ms.toFixed(1)} ms, RSS +${m.rssDeltaMiB.toFixed(1)} MiB`);
  const r = m.value;
  t.equal(r.kind, 'detected');
  if (r.kind !== 'detected') return;
  t.same(r.detection, { name: 'Heuristics.Limits.Exceeded.MaxCompressionRatio', threatType: 'archive_bomb', engine: 'archive_limit', memberPath: 'zeros.bin' });
  t.same(s.seen, ['ok.txt'], 'the bomb member was never handed to the scanner');
  t.ok(m.ms < 2000, 'bounded in time');
  t.ok(m.rssDeltaMiB < 64, 'bounded in memory');
});

t.test('a gzip stream is checked while it inflates (its size is not declared anywhere)', async (t) => {
  const gz = zlib.gzipSync(zeros(200 * MiB), { level: 9 });
  const nested = makeZip([{ name: 'logs/huge.log.gz', data: gz, method: 0 }]);
  const m = await measure(() => walkArchive(new BufferSource(nested), {}, eicarScanner().scan));
  t.comment(`gzip ratio bomb inside a zip (${gz.length} bytes -> 200 MiB): ${m.ms.toFixed(1)} ms, RSS +${m.rssDeltaMiB.toFixed(1)} MiB`);
  const r = m.value;
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxCompressionRatio');
  t.equal(r.kind === 'detected' && r.detection.memberPath, 'logs/huge.log.gz');
  t.ok(m.ms < 2000, 'stopped soon after the first MiB');
  t.ok(m.rssDeltaMiB < 64, 'bounded in memory');
});

t.test('small or modestly compressible members pass; the ratio limit is configurable', async (t) => {
  const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(100_000)); // ~2.7 MB, compresses far beyond 100:1
  const small = makeZip([{ name: 'small-zeros', data: zeros(512 * 1024) }, { name: 'tar.tgz', data: gzip(makeTar([{ name: 'a', data: Buffer.from('x') }])) }]);
  t.equal((await walkArchive(new BufferSource(small), {}, eicarScanner().scan)).kind, 'clean', 'below ratioMinSize nothing is a bomb');
  const z = makeZip([{ name: 'lorem.txt', data: text }]);
  const strict = await walkArchive(new BufferSource(z), {}, eicarScanner().scan);
  t.equal(strict.kind, 'detected', 'default 100:1 flags it');
  const relaxed = await walkArchive(new BufferSource(z), { limits: { maxRatio: 100_000 } }, eicarScanner().scan);
  t.equal(relaxed.kind, 'clean', 'a raised limit lets it through');
  const bad = await walkArchive(new BufferSource(z), { limits: { maxRatio: -1 } }, eicarScanner().scan);
  t.equal(bad.kind === 'error' && bad.code, 'WDAV_ERR_INVALID_ARGUMENT');
});

import t from 'tap';
import crypto from 'node:crypto';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { makeZip, makeTar, gzip } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';

const KiB = 1024;

t.test('a member above maxFileSize is an archive_bomb (declared size, before reading)', async (t) => {
  const tar = makeTar([{ name: 'small', data: Buffer.alloc(10) }, { name: 'big.iso', data: crypto.randomBytes(300 * KiB) }]);
  const s = eicarScanner();
  const r = await walkArchive(new BufferSource(tar), { limits: { maxFileSize: 256 * KiB } }, s.scan);
  t.same(r.kind === 'detected' && r.detection, { name: 'Heuristics.Limits.Exceeded.MaxFileSize', threatType: 'archive_bomb', engine: 'archive_limit', memberPath: 'big.iso' });
  t.same(s.seen, ['small']);
});

t.test('a gzip whose content exceeds maxFileSize is stopped while it streams', async (t) => {
  const gz = gzip(crypto.randomBytes(300 * KiB), 'blob');
  const r = await walkArchive(new BufferSource(gz), { limits: { maxFileSize: 256 * KiB } }, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxFileSize');
  t.equal(r.kind === 'detected' && r.detection.memberPath, 'blob');
});

t.test('maxScanSize bounds the bytes scanned over the whole walk', async (t) => {
  const part = crypto.randomBytes(100 * KiB);
  const zip = makeZip([{ name: 'a', data: part }, { name: 'b', data: part }, { name: 'c.tgz', data: gzip(makeTar([{ name: 'd', data: part }])) }]);
  const r = await walkArchive(new BufferSource(zip), { limits: { maxScanSize: 250 * KiB } }, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxScanSize');
  const roomy = await walkArchive(new BufferSource(zip), { limits: { maxScanSize: 1024 * KiB } }, eicarScanner().scan);
  t.equal(roomy.kind, 'clean');
});

t.test('a limit hit while the scanner reads wins even if the scanner swallows the exception', async (t) => {
  const zip = makeZip([{ name: 'x', data: crypto.randomBytes(64 * KiB) }]);
  const r = await walkArchive(new BufferSource(zip), { limits: { maxScanSize: 16 * KiB } }, async (m) => {
    try {
      for await (const _ of m.chunks());
    } catch {
      return { kind: 'error', code: 'WDAV_ERR_INTERNAL', message: 'read failed' };
    }
    return { kind: 'clean' };
  });
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxScanSize');
});

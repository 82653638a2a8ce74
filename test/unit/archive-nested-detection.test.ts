import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { eicar, makeZip, makeTar, gzip } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';

t.test('a detection deep inside names the member path a.zip->b.tar.gz->x.bin', async (t) => {
  const tgz = gzip(makeTar([{ name: 'readme.txt', data: Buffer.from('hello') }, { name: 'x.bin', data: eicar() }]));
  const a = makeZip([{ name: 'b.tar.gz', data: tgz }]);
  const outer = makeZip([{ name: 'notes.txt', data: Buffer.from('clean') }, { name: 'a.zip', data: a }]);
  const s = eicarScanner();
  const r = await walkArchive(new BufferSource(outer), {}, s.scan);
  t.equal(r.kind, 'detected');
  if (r.kind !== 'detected') return;
  t.equal(r.detection.memberPath, 'a.zip->b.tar.gz->x.bin');
  t.equal(r.detection.name, 'Virus:DOS/EICAR_Test_File');
  t.equal(r.detection.threatType, 'test');
  // The nested archives themselves are handed to the scanner too (hash signatures of an inner archive).
  t.same(s.seen, ['notes.txt', 'a.zip', 'a.zip->b.tar.gz', 'a.zip->b.tar.gz->readme.txt', 'a.zip->b.tar.gz->x.bin']);
});

t.test('from a path and from a borrowed fd (left open)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-arch-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'outer.tar');
  fs.writeFileSync(file, makeTar([{ name: 'd', type: '5' }, { name: 'd/inner.zip', data: makeZip([{ name: 'evil.bin', data: eicar() }]) }]));
  const byPath = await walkArchive({ path: file }, {}, eicarScanner().scan);
  t.equal(byPath.kind === 'detected' && byPath.detection.memberPath, 'd/inner.zip->evil.bin');
  const fd = fs.openSync(file, 'r');
  t.teardown(() => fs.closeSync(fd));
  const byFd = await walkArchive({ fd, path: file }, {}, eicarScanner().scan);
  t.equal(byFd.kind === 'detected' && byFd.detection.memberPath, 'd/inner.zip->evil.bin');
  t.ok(fs.fstatSync(fd).isFile(), 'the caller fd is still open');
});

t.test('a plain gzip names its content from the gzip header, else from the file name', async (t) => {
  const named = await walkArchive(new BufferSource(gzip(eicar(), 'payload.com')), { name: 'x.gz' }, eicarScanner().scan);
  t.equal(named.kind === 'detected' && named.detection.memberPath, 'payload.com');
  const unnamed = await walkArchive(new BufferSource(gzip(eicar())), { name: 'dropper.bin.gz' }, eicarScanner().scan);
  t.equal(unnamed.kind === 'detected' && unnamed.detection.memberPath, 'dropper.bin');
});

t.test('clean archives report members and bytes; a non-archive is not_archive', async (t) => {
  const s = eicarScanner();
  const r = await walkArchive(new BufferSource(makeZip([{ name: 'a', data: Buffer.alloc(1000, 1) }, { name: 'b/', data: Buffer.alloc(0) }, { name: 'b/c', data: Buffer.from('x'), method: 0 }])), {}, s.scan);
  t.equal(r.kind, 'clean');
  if (r.kind === 'clean') {
    t.equal(r.format, 'zip');
    t.equal(r.members, 2);
    t.equal(r.bytes, 1001);
  }
  t.same(s.seen, ['a', 'b/c']);
  t.same(await walkArchive(new BufferSource(Buffer.from('just text')), {}, s.scan), { kind: 'not_archive' });
});

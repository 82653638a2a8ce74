// Zip members the walker cannot decompress — bzip2 (12), LZMA (14), deflate64 (9), implode (6),
// any other method, encrypted (traditional, strong, AES) — are returned as `unscanned` (member
// path, reason, method name), counted, and never handed to the scanner; the walk's result is
// clean only about what it scanned. An entry with strong encryption does not stop the walk.
import t from 'tap';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { eicar, makeZip } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';
import { rand } from '../helpers/batch-fixtures.js';

t.test('each member that cannot be decompressed is reported with its reason', async (t) => {
  const zip = makeZip([
    { name: 'ok.txt', data: Buffer.from('fine') },
    { name: 'a.bin', data: rand(200, 1), method: 12, size: 1000 },
    { name: 'b.bin', data: rand(200, 2), method: 14, size: 1000 },
    { name: 'c.bin', data: rand(200, 3), method: 9, size: 1000 },
    { name: 'd.bin', data: rand(200, 4), method: 6, size: 1000 },
    { name: 'e.bin', data: rand(200, 5), method: 77, size: 1000 },
    { name: 'f.bin', data: rand(200, 6), method: 0, flags: 1 },
    { name: 'g.bin', data: rand(200, 7), method: 99, size: 1000 },
    { name: 'h.bin', data: rand(200, 8), method: 8, flags: 0x41, size: 1000 },
  ]);
  const s = eicarScanner();
  const r = await walkArchive(new BufferSource(zip), {}, s.scan);
  t.equal(r.kind, 'clean');
  if (r.kind !== 'clean') return;
  t.same(s.seen, ['ok.txt'], 'only the readable member reached the scanner');
  t.same(r.unscanned, [
    { member: 'a.bin', reason: 'unsupported_method', method: 'bzip2' },
    { member: 'b.bin', reason: 'unsupported_method', method: 'lzma' },
    { member: 'c.bin', reason: 'unsupported_method', method: 'deflate64' },
    { member: 'd.bin', reason: 'unsupported_method', method: 'implode' },
    { member: 'e.bin', reason: 'unsupported_method', method: 'method 77' },
    { member: 'f.bin', reason: 'encrypted' },
    { member: 'g.bin', reason: 'encrypted', method: 'aes' },
    { member: 'h.bin', reason: 'encrypted', method: 'strong encryption' },
  ]);
  t.equal(r.unscannedCount, 8);
  t.equal(r.members, 9, 'counted as members (maxFiles) all the same');
});

t.test('a detection after an unscannable member still wins', async (t) => {
  const zip = makeZip([{ name: 'a.bin', data: rand(200, 1), method: 12, size: 1000 }, { name: 'evil.com', data: eicar() }]);
  const r = await walkArchive(new BufferSource(zip), {}, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.memberPath, 'evil.com');
});

t.test('unscanned members of nested archives carry the nested path; the list is bounded', async (t) => {
  const inner = makeZip(Array.from({ length: 80 }, (_, i) => ({ name: `x${i}.bin`, data: rand(10, i), method: 12, size: 100 })));
  const r = await walkArchive(new BufferSource(makeZip([{ name: 'in/inner.zip', data: inner }])), {}, eicarScanner().scan);
  t.equal(r.kind, 'clean');
  if (r.kind !== 'clean') return;
  t.equal(r.unscannedCount, 80);
  t.equal(r.unscanned?.length, 50, 'the first 50 are listed');
  t.same(r.unscanned?.[0], { member: 'in/inner.zip->x0.bin', reason: 'unsupported_method', method: 'bzip2' });
});

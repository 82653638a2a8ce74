import t from 'tap';
import crypto from 'node:crypto';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { eicar, makeZip, makeTar, gzip, tarHeader } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';

async function walk(buf: Buffer) {
  const s = eicarScanner();
  const r = await walkArchive(new BufferSource(buf), {}, s.scan);
  return { r, seen: s.seen };
}

t.test('a zip cut in half is clean with a note, never an exception', async (t) => {
  const zip = makeZip([{ name: 'a', data: crypto.randomBytes(5000) }]);
  const { r } = await walk(zip.subarray(0, 2000));
  t.equal(r.kind, 'clean');
  t.match(r.kind === 'clean' && r.notes.join('\n'), /malformed zip/u);
});

t.test('a corrupt deflate stream in one member leaves the other members scanned', async (t) => {
  const text = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i} of a log file\n`).join(''));
  const zip = makeZip([{ name: 'bad', data: text }, { name: 'evil', data: eicar() }]);
  // Flip bytes inside the first member's deflate stream (after its 30+3 byte local header).
  for (let i = 40; i < 200; i++) zip[i] = zip[i]! ^ 0x5a;
  const { r, seen } = await walk(zip);
  t.equal(r.kind, 'detected', 'the member after the corrupt one is still found');
  t.notOk(seen.includes('bad') && !seen.includes('evil'));
  t.equal(seen[seen.length - 1], 'evil');
  t.match(r.kind === 'detected' && r.notes.join('\n'), /bad: /u);
});

t.test('a zip whose entry inflates past its declared size is not trusted', async (t) => {
  const zip = makeZip([{ name: 'liar', data: Buffer.alloc(5000, 7) }]);
  // Patch the declared uncompressed size (central directory) down to 10 bytes.
  const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(10, cd + 24);
  zip.writeUInt32LE(10, 22);
  const { r } = await walk(zip);
  t.equal(r.kind, 'clean');
  t.match(r.kind === 'clean' && r.notes.join('\n'), /liar/u);
});

t.test('tar: bad checksum, truncated member, garbage gzip', async (t) => {
  const tar = makeTar([{ name: 'first', data: Buffer.from('x') }, { name: 'second', data: Buffer.from('y') }]);
  tar[512 * 2 + 10] = 0x41; // corrupt the second header (first header + one data block before it)
  const bad = await walk(tar);
  t.equal(bad.r.kind, 'clean');
  t.same(bad.seen, ['first']);
  t.match(bad.r.kind === 'clean' && bad.r.notes.join('\n'), /bad header checksum/u);

  const truncated = Buffer.concat([tarHeader('cut', 4096), Buffer.alloc(1000, 1)]);
  const tr = await walk(truncated);
  t.equal(tr.r.kind, 'clean');
  t.match(tr.r.kind === 'clean' && tr.r.notes.join('\n'), /truncated/u);

  const gz = gzip(Buffer.alloc(100_000, 3));
  const junk = Buffer.concat([gz.subarray(0, 30), crypto.randomBytes(500)]);
  const g = await walk(junk);
  t.equal(g.r.kind, 'clean');
  t.ok(g.r.kind === 'clean' && g.r.notes.length > 0, 'noted');
});

t.test('a scanner that throws yields an error result naming the member, not an exception', async (t) => {
  const r = await walkArchive(new BufferSource(makeZip([{ name: 'x', data: Buffer.from('abc') }])), {}, async () => {
    throw new Error('engine exploded');
  });
  t.equal(r.kind, 'error');
  t.match(r.kind === 'error' && r.message, /x: engine exploded/u);
});

t.test('a missing path is an error result', async (t) => {
  const r = await walkArchive({ path: '/nonexistent/wdav/archive.zip' }, {}, eicarScanner().scan);
  t.equal(r.kind === 'error' && r.code, 'WDAV_ERR_NOT_FOUND');
});

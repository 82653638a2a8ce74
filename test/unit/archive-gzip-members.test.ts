// The walker decompresses a gzip as gzip and zcat do: every member, as one stream; trailing zero
// bytes ignored; trailing garbage and a truncated member noted, with what was decompressed
// before them scanned; and a tar read on after its end-of-archive blocks when more tar headers
// follow (`tar --ignore-zeros`), so concatenated tarballs hide nothing.
import t from 'tap';
import zlib from 'node:zlib';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource, type ByteSource } from '../../src/engine/archives/source.js';
import { eicar, gzip, makeTar } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';
import { rand } from '../helpers/batch-fixtures.js';

const benignTar = makeTar([{ name: 'readme.txt', data: Buffer.from('hello\n') }]);
const evilTar = makeTar([{ name: 'evil.com', data: eicar() }]);
const big = rand(600 * 1024, 9); // above the in-memory gunzip size: the streaming path

/** The bytes without `buffer`: the walker takes its streaming path, as for a file on disk. */
function streamedSource(data: Buffer): ByteSource {
  const s = new BufferSource(data);
  return { size: s.size, chunks: (a, b) => s.chunks(a, b), head: (n) => s.head(n), readInto: (t, o, l, p) => s.readInto(t, o, l, p), close: async () => {} };
}

async function walk(data: Buffer, name = 'x.gz') {
  const s = eicarScanner();
  // Both the in-memory source and a source without its buffer (the streaming path).
  const inMemory = await walkArchive(new BufferSource(data), { name }, s.scan);
  const streamed = await walkArchive(streamedSource(data), { name }, eicarScanner().scan);
  return { inMemory, streamed, seen: s.seen };
}

function detectedAt(r: Awaited<ReturnType<typeof walkArchive>>): string | undefined {
  return r.kind === 'detected' ? r.detection.memberPath : `${r.kind}`;
}

const CASES: Record<string, [Buffer, string]> = {
  'second member of a tar.gz': [Buffer.concat([gzip(benignTar), gzip(evilTar)]), 'evil.com'],
  'second member after an empty one': [Buffer.concat([gzip(Buffer.alloc(0)), gzip(eicar())]), 'x'],
  'second member after a large one': [Buffer.concat([gzip(big), gzip(eicar())]), 'x'],
  'before trailing garbage': [Buffer.concat([gzip(eicar(), 'g.com'), Buffer.from('garbage after the member')]), 'g.com'],
  'large member before trailing garbage': [Buffer.concat([gzip(Buffer.concat([big, eicar()]), 'g.com'), Buffer.from('garbage')]), 'g.com'],
  'before trailing zeros': [Buffer.concat([gzip(eicar(), 'z.com'), Buffer.alloc(4096)]), 'z.com'],
  'with its trailer cut off': [gzip(eicar(), 'cut.com').subarray(0, gzip(eicar(), 'cut.com').length - 5), 'cut.com'],
  'second of two plain tars': [Buffer.concat([benignTar, evilTar]), 'evil.com'],
};

for (const [what, [data, member]] of Object.entries(CASES)) {
  t.test(`EICAR ${what} is found`, async (t) => {
    const r = await walk(data);
    t.equal(detectedAt(r.inMemory), member, 'in memory');
    t.equal(detectedAt(r.streamed), member, 'streamed');
  });
}

t.test('trailing garbage and truncation are noted', async (t) => {
  const garbage = await walkArchive(new BufferSource(Buffer.concat([gzip(Buffer.from('fine')), Buffer.from('junk')])), { name: 'a.gz' }, eicarScanner().scan);
  t.equal(garbage.kind, 'clean');
  t.match(garbage.kind === 'clean' ? garbage.notes : [], [/trailing garbage/u]);
  const whole = gzip(Buffer.from('fine'));
  const cut = await walkArchive(new BufferSource(whole.subarray(0, whole.length - 3)), { name: 'a.gz' }, eicarScanner().scan);
  t.match(cut.kind === 'clean' ? cut.notes : [], [/truncated/u]);
  const zeros = await walkArchive(new BufferSource(Buffer.concat([whole, Buffer.alloc(100)])), { name: 'a.gz' }, eicarScanner().scan);
  t.same(zeros.kind === 'clean' && zeros.notes, [], 'zero padding is not worth a note');
});

t.test('a corrupt deflate stream ends the member with a note', async (t) => {
  // Compressible text: Huffman-coded blocks, which bytes of 0xff make invalid.
  const gz = Buffer.from(zlib.gzipSync(Buffer.from('some text to compress, '.repeat(400))));
  gz.fill(0xff, 14, 30);
  const r = await walkArchive(new BufferSource(gz), { name: 'c.gz' }, eicarScanner().scan);
  t.equal(r.kind, 'clean');
  t.ok(r.kind === 'clean' && r.notes.length > 0);
});

// The walker finds a zip from its end-of-central-directory record, as unzip does, whatever comes
// before it: a self-extractor stub with offsets counted from the zip's start (the prefix is
// worked out from where the directory is against where it says it is) or from the file's start
// (`zip -A`), an archive comment, bytes after the end record. Nested members whose end is a zip
// are walked too. A file that merely ends in something zip-like is not an archive.
import t from 'tap';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { eicar, gzip, makeTar, makeZip } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';
import { rand } from '../helpers/batch-fixtures.js';

const members = [
  { name: 'readme.txt', data: Buffer.from('install me\n'.repeat(30)) },
  { name: 'bin/evil.com', data: eicar() },
];

const CASES: Record<string, [Buffer, string]> = {
  '4 KiB prefix': [makeZip(members, { prefix: rand(4096, 1) }), 'bin/evil.com'],
  'prefix, offsets from the file start': [makeZip(members, { prefix: rand(4096, 2), absoluteOffsets: true }), 'bin/evil.com'],
  'prefix and a comment': [makeZip(members, { prefix: rand(100, 3), comment: Buffer.from('made by an installer') }), 'bin/evil.com'],
  'bytes after the end record': [makeZip(members, { suffix: Buffer.from('appended\n') }), 'bin/evil.com'],
  'prefix and bytes after the end record': [makeZip(members, { prefix: rand(5000, 4), suffix: rand(700, 5) }), 'bin/evil.com'],
  'prefixed zip inside a zip': [makeZip([{ name: 'setup.exe', data: makeZip(members, { prefix: rand(3000, 6) }) }]), 'setup.exe->bin/evil.com'],
  'prefixed zip inside a tar.gz': [gzip(makeTar([{ name: 'setup.exe', data: makeZip(members, { prefix: rand(3000, 7) }) }])), 'setup.exe->bin/evil.com'],
  'large prefixed zip inside a zip (spooled, re-read)': [makeZip([{ name: 'big.exe', data: makeZip(members, { prefix: rand(1536 * 1024, 8) }), method: 0 }]), 'big.exe->bin/evil.com'],
  // A valid gzip or tar as the prefix: the zip after it is what unzip extracts.
  'a gzip as its prefix': [makeZip(members, { prefix: gzip(Buffer.from('harmless\n'), 'readme.txt') }), 'bin/evil.com'],
  'a tar as its prefix': [makeZip(members, { prefix: makeTar([{ name: 'readme.txt', data: Buffer.from('harmless\n') }]) }), 'bin/evil.com'],
};

for (const [what, [data, member]] of Object.entries(CASES)) {
  t.test(`EICAR in a zip with ${what} is found`, async (t) => {
    const r = await walkArchive(new BufferSource(data), { name: 'f.bin' }, eicarScanner().scan);
    t.equal(r.kind === 'detected' ? r.detection.memberPath : r.kind, member);
  });
}

t.test('a file that only ends in an end-record signature is not an archive', async (t) => {
  const fake = Buffer.concat([rand(2000, 9), Buffer.from([0x50, 0x4b, 5, 6]), Buffer.alloc(18)]);
  const r = await walkArchive(new BufferSource(fake), { name: 'f.bin' }, eicarScanner().scan);
  t.equal(r.kind, 'not_archive');
});

t.test('a tar whose last member is a zip is walked once', async (t) => {
  const s = eicarScanner();
  const tar = makeTar([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'last.zip', data: makeZip([members[0]!]) }]);
  const r = await walkArchive(new BufferSource(tar), { name: 'f.tar' }, s.scan);
  t.equal(r.kind, 'clean');
  t.same(s.seen, ['a.txt', 'last.zip', 'last.zip->readme.txt']);
});

t.test('the prefix is noted', async (t) => {
  const r = await walkArchive(new BufferSource(makeZip([members[0]!], { prefix: rand(4096, 1) })), { name: 'f.bin' }, eicarScanner().scan);
  t.equal(r.kind, 'clean');
  t.match(r.kind === 'clean' ? r.notes : [], [/4096 bytes before the zip/u]);
  t.equal(r.kind === 'clean' && r.members, 1);
});

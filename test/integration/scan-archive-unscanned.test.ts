// Zip members the engine cannot decompress (bzip2, LZMA, deflate64, encrypted) are reported as
// `unscanned`, never silently clean: in `mdatp scan custom`'s JSON (count, and the archive path,
// member and reason per member) and text output, in `mdatp scan list`, and in `mdatp health
// --details features` (archives.members_unscanned).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { makeZip } from '../helpers/archive-fixtures.js';
import { rand } from '../helpers/batch-fixtures.js';
import { scanJson, writeTree } from '../helpers/scan-daemon.js';

t.test('members compressed with bzip2 or LZMA, or encrypted, are reported unscanned', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-unscanned-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await TestDaemon.start(t, { dir, rtpBackend: 'none' });
  const tree = path.join(dir, 'tree');
  writeTree(tree, {
    'odd.zip': makeZip([
      { name: 'plain.txt', data: Buffer.from('scanned\n'.repeat(20)) },
      // Arbitrary bytes stand for the compressed data: nothing may try to decompress them.
      { name: 'a.bz2.bin', data: Buffer.concat([Buffer.from('BZh91AY&SY'), rand(300, 1)]), method: 12, size: 5000 },
      { name: 'b.lzma.bin', data: rand(300, 2), method: 14, size: 5000 },
      { name: 'c.deflate64.bin', data: rand(300, 3), method: 9, size: 5000 },
      { name: 'd.secret.bin', data: rand(300, 4), method: 0, flags: 0x1 },
    ]),
    'ok.zip': makeZip([{ name: 'x.txt', data: Buffer.from('fine\n') }]),
    'note.txt': 'not an archive\n',
  });

  const r = await scanJson(d, ['custom', '--path', tree]);
  t.equal(r.code, 0, r.stderr);
  const odd = path.join(tree, 'odd.zip');
  t.equal(r.doc.threatsDetected, 0);
  t.equal(r.doc.unscanned, 4, 'four members not scanned');
  t.same(
    [...(r.doc.details.unscanned ?? [])].sort((a, b) => a.member.localeCompare(b.member)),
    [
      { path: odd, member: 'a.bz2.bin', reason: 'unsupported_method', method: 'bzip2' },
      { path: odd, member: 'b.lzma.bin', reason: 'unsupported_method', method: 'lzma' },
      { path: odd, member: 'c.deflate64.bin', reason: 'unsupported_method', method: 'deflate64' },
      { path: odd, member: 'd.secret.bin', reason: 'encrypted' },
    ],
    'each with the archive, the member and the reason',
  );

  const text = await d.mdatp(['scan', 'custom', '--path', tree]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /\t4 archive member\(s\) not scanned\n/u);
  t.match(text.stdout, new RegExp(`\\t\\tNot scanned: ${odd.replace(/[.]/gu, '\\.')} -> a\\.bz2\\.bin \\(unsupported_method: bzip2\\)`, 'u'));

  const list = await d.mdatp(['scan', 'list', '--output', 'json']);
  t.equal(JSON.parse(list.stdout)[0].unscanned, 4, 'scan list carries the count');
  const listText = await d.mdatp(['scan', 'list']);
  t.match(listText.stdout, /unscanned\s*: 4/u);

  const health = await d.mdatp(['health', '--details', 'features', '--output', 'json']);
  const h = JSON.parse(health.stdout) as { archives?: { members_unscanned?: number; files_with_unscanned_members?: number } };
  t.equal(h.archives?.members_unscanned, 8, 'health counts the members of both scans');
  t.equal(h.archives?.files_with_unscanned_members, 2);
});

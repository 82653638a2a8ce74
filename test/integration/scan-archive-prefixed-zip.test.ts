// A zip behind a prefix is still looked into: `mdatp scan custom` reports EICAR, with its member
// path, in a zip after 4 KiB of other bytes (a self-extractor: offsets counted from the zip's
// own start, as unzip and ClamAV compensate), after an ELF stub (offsets adjusted to the file,
// `zip -A`), after a prefix larger than the batch's in-memory area, with an archive comment,
// with bytes after its end record, and as a member of another zip.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { makeZip } from '../helpers/archive-fixtures.js';
import { rand } from '../helpers/batch-fixtures.js';
import { eicar, scanJson, threatsByFile, writeTree } from '../helpers/scan-daemon.js';

function elfStub(size: number): Buffer {
  const b = Buffer.alloc(size);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(b, 0);
  rand(size - 64, 7).copy(b, 64);
  return b;
}

t.test('EICAR in a zip behind a prefix is found', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-sfx-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await TestDaemon.start(t, { dir, rtpBackend: 'none' });
  const tree = path.join(dir, 'tree');
  const members = [
    { name: 'readme.txt', data: Buffer.from('install me\n'.repeat(30)) },
    { name: 'bin/evil.com', data: eicar() },
  ];
  writeTree(tree, {
    'sfx-4k.bin': makeZip(members, { prefix: rand(4096, 1) }),
    'sfx-elf': makeZip(members, { prefix: elfStub(8192), absoluteOffsets: true }),
    'sfx-large.bin': makeZip(members, { prefix: rand(1536 * 1024, 2) }),
    'sfx-comment.bin': makeZip(members, { prefix: rand(4096, 3), comment: Buffer.from('self-extracting archive') }),
    'trailing.zip': makeZip(members, { suffix: Buffer.from('bytes after the end record\n') }),
    'outer.zip': makeZip([{ name: 'setup.exe', data: makeZip(members, { prefix: elfStub(4096) }) }]),
  });

  const r = await scanJson(d, ['custom', '--path', tree]);
  t.equal(r.code, 0, r.stderr);
  const found = threatsByFile(r.doc, tree);
  t.same(
    found,
    {
      'sfx-4k.bin': 'Virus:DOS/EICAR_Test_File @ bin/evil.com',
      'sfx-elf': 'Virus:DOS/EICAR_Test_File @ bin/evil.com',
      'sfx-large.bin': 'Virus:DOS/EICAR_Test_File @ bin/evil.com',
      'sfx-comment.bin': 'Virus:DOS/EICAR_Test_File @ bin/evil.com',
      'trailing.zip': 'Virus:DOS/EICAR_Test_File @ bin/evil.com',
      'outer.zip': 'Virus:DOS/EICAR_Test_File @ setup.exe->bin/evil.com',
    },
    'every zip behind a prefix is walked',
  );
});

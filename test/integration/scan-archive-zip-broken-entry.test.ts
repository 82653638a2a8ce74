// One odd zip entry does not hide the others: `mdatp scan custom` reports EICAR, with its member
// path, in a zip where an earlier entry is flagged with strong encryption or is a stored entry
// whose sizes disagree, and in a zip whose EICAR
// entry itself inflates to more bytes than its header declares (what unzip still writes out).
// The odd entries are reported as unscanned when they cannot be read.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { makeZip } from '../helpers/archive-fixtures.js';
import { eicar, scanJson, threatsByFile, writeTree } from '../helpers/scan-daemon.js';

/** Rewrites the central directory entry named `name` with `edit(offset of its header)`. */
function editCentral(zip: Buffer, name: string, edit: (b: Buffer, at: number) => void): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i + 46 <= out.length; i++) {
    if (out.readUInt32LE(i) !== 0x02014b50) continue;
    const n = out.readUInt16LE(i + 28);
    if (out.subarray(i + 46, i + 46 + n).toString() === name) edit(out, i);
  }
  return out;
}

t.test('EICAR after an entry the zip reader refuses is found', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-zipent-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await TestDaemon.start(t, { dir, rtpBackend: 'none' });
  const tree = path.join(dir, 'tree');
  const odd = { name: 'odd.bin', data: Buffer.from('odd entry\n'.repeat(10)), method: 0 };
  const evil = { name: 'evil.com', data: eicar() };
  const base = makeZip([odd, evil]);
  // The EICAR entry declares 10 bytes and inflates to 68.
  const lying = editCentral(makeZip([evil]), 'evil.com', (b, at) => b.writeUInt32LE(10, at + 24));
  writeTree(tree, {
    'strong.zip': editCentral(base, 'odd.bin', (b, at) => b.writeUInt16LE(b.readUInt16LE(at + 8) | 0x41, at + 8)),
    'sizes.zip': editCentral(base, 'odd.bin', (b, at) => b.writeUInt32LE(3, at + 24)),
    'lying.zip': lying,
  });

  const r = await scanJson(d, ['custom', '--path', tree]);
  t.equal(r.code, 0, r.stderr);
  const found = threatsByFile(r.doc, tree);
  t.same(found, {
    'strong.zip': 'Virus:DOS/EICAR_Test_File @ evil.com',
    'sizes.zip': 'Virus:DOS/EICAR_Test_File @ evil.com',
    'lying.zip': 'Virus:DOS/EICAR_Test_File @ evil.com',
  });
});

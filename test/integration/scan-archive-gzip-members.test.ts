// A gzip hides nothing after its first member, and a tar nothing after its end-of-archive
// blocks: `mdatp scan custom` reports EICAR, with its member path, when it is the second member
// of a multi-member gzip (`cat a.tar.gz b.tar.gz`, what `tar -xizf` extracts), after an empty
// first member, before trailing garbage (what zcat decompresses with "trailing garbage
// ignored"), in a gzip whose trailer is cut off (zcat: "unexpected end of file", after writing
// the content), and in the second of two concatenated plain tars.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { gzip, makeTar } from '../helpers/archive-fixtures.js';
import { eicar, scanJson, threatsByFile, writeTree } from '../helpers/scan-daemon.js';

t.test('EICAR after the first gzip member or the first tar is found', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-gzm-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await TestDaemon.start(t, { dir, rtpBackend: 'none' });
  const tree = path.join(dir, 'tree');
  const benign = makeTar([{ name: 'readme.txt', data: Buffer.from('nothing to see\n'.repeat(40)) }]);
  const evil = makeTar([{ name: 'evil.com', data: eicar() }]);
  const whole = gzip(eicar(), 'cut.com');
  writeTree(tree, {
    'concat.tar.gz': Buffer.concat([gzip(benign), gzip(evil)]),
    'empty-first.gz': Buffer.concat([gzip(Buffer.alloc(0)), gzip(eicar())]),
    'garbage.gz': Buffer.concat([gzip(eicar(), 'garbage.com'), Buffer.from('trailing garbage, not a gzip member\n')]),
    'truncated.gz': whole.subarray(0, whole.length - 6),
    'concat.tar': Buffer.concat([benign, evil]),
  });

  const r = await scanJson(d, ['custom', '--path', tree]);
  t.equal(r.code, 0, r.stderr);
  const found = threatsByFile(r.doc, tree);
  t.same(
    found,
    {
      'concat.tar.gz': 'Virus:DOS/EICAR_Test_File @ evil.com',
      'empty-first.gz': 'Virus:DOS/EICAR_Test_File @ empty-first',
      'garbage.gz': 'Virus:DOS/EICAR_Test_File @ garbage.com',
      'truncated.gz': 'Virus:DOS/EICAR_Test_File @ cut.com',
      'concat.tar': 'Virus:DOS/EICAR_Test_File @ evil.com',
    },
    'every hidden EICAR is reported with its member path',
  );
  t.equal(r.doc.threatsDetected, 5);
});

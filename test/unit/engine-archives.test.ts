// With scanArchives the engine walks zip/tar/gzip members through the same signatures (on the
// same definition set) and names the member; without it only the file itself is scanned.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { eicarBytes } from '../../src/definitions/eicar.js';
import { makeZip, makeTar, gzip, nestZips } from '../helpers/archive-fixtures.js';
import { CTX, engineFor, MATCHERS, outcome, tmpDir } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');
const ARCH = { ...CTX, scanArchives: true };

for (const m of MATCHERS) {
  t.test(`${m}: detections inside archives name the member`, async (t) => {
    const byHash = Buffer.from('member found by its hash');
    const engine = await engineFor(
      t,
      {
        'b.ndb': `Win.Trojan.InZip-1-0:0:*:${hex('ZIPPED-EVIL')}\n`,
        'h.hdb': `${createHash('md5').update(byHash).digest('hex')}:${byHash.length}:Win.Trojan.MemberHash-1-0\n`,
      },
      { bodyMatcher: m },
    );
    const dir = tmpDir(t);
    const write = (name: string, data: Buffer): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, data);
      return p;
    };
    const zip = write('a.zip', makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }, { name: 'dir/evil.bin', data: Buffer.from('xx ZIPPED-EVIL xx') }]));
    const r = await engine.scan({ path: zip }, ARCH);
    t.match(r, { kind: 'detected', name: 'Win.Trojan.InZip-1-0', memberPath: 'dir/evil.bin', engine: 'body' });
    t.equal(outcome(await engine.scan({ path: zip }, CTX)), 'clean', 'not looked into without scanArchives');

    const tgz = write('b.tar.gz', gzip(makeTar([{ name: 'ok.txt', data: Buffer.from('fine') }, { name: 'sub/e.com', data: eicarBytes() }])));
    const fd = fs.openSync(tgz, 'r');
    t.teardown(() => fs.closeSync(fd));
    t.match(await engine.scan({ fd }, ARCH), { name: 'Virus:DOS/EICAR_Test_File', memberPath: /sub\/e\.com$/ });
    t.ok(fs.fstatSync(fd).isFile(), 'the fd stays open');

    const nested = write('n.zip', nestZips(makeZip([{ name: 'h.bin', data: byHash }]), 'in.zip', 2));
    t.match(await engine.scan({ path: nested }, ARCH), { name: 'Win.Trojan.MemberHash-1-0', engine: 'hash' });
  });
}

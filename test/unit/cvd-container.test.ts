import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCvd, cvdMembers, checkCvd } from '../../src/definitions/cvd.js';
import { makeCvd } from '../helpers/cvd-fixtures.js';

const hdb = Buffer.from('44d88612fea8a8f36de82e1278abb02f:68:Wdav.Test.Hash-1\n');
const ndb = Buffer.from('Wdav.Test.Body-1:0:*:deadbeef\n');

t.test('a CVD (tar.gz body) yields its header and members after the MD5 check', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-cvd-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'main.cvd');
  fs.writeFileSync(file, makeCvd({ db: 'main', version: 62, members: [{ name: 'main.hdb', data: hdb }, { name: 'main.ndb', data: ndb }], info: true, stime: 1717830000 }));
  const r = await readCvd({ path: file });
  t.match(r.header, { kind: 'cvd', version: 62, sigs: 2, functionalityLevel: 90, builder: 'wdav-tests', stime: 1717830000, buildTime: '08 Jun 2024 07-00 +0000' });
  t.equal(r.md5Verified, true);
  t.same(r.members.map((m) => m.name), ['COPYING', 'main.info', 'main.hdb', 'main.ndb']);
  t.same(r.members.find((m) => m.name === 'main.hdb')?.data, hdb);
  const check = await checkCvd({ path: file });
  t.equal(check.header.version, 62);
  t.equal(check.size, fs.statSync(file).size);
});

t.test('members one at a time from a Buffer', async (t) => {
  const names: string[] = [];
  const it = cvdMembers({ name: 'daily.cvd', data: makeCvd({ db: 'daily', version: 27000, members: [{ name: 'daily.hdb', data: hdb }] }) });
  for await (const m of it) names.push(m.name);
  t.same(names, ['COPYING', 'daily.hdb']);
});

import t from 'tap';
import { readCvd } from '../../src/definitions/cvd.js';
import { makeCvd } from '../helpers/cvd-fixtures.js';

const members = [{ name: 'daily.hdb', data: Buffer.from('44d88612fea8a8f36de82e1278abb02f:68:Wdav.Test.Hash-1\n') }];

t.test('a CLD with a plain tar body loads; its MD5 field is not a checksum of that body', async (t) => {
  const cld = makeCvd({ db: 'daily', version: 27400, members, compress: false, info: true, md5: 'X' });
  t.equal(cld.subarray(512, 519).toString(), 'COPYING', 'plain tar: the first member name right after the header');
  const r = await readCvd({ name: 'daily.cld', data: cld });
  t.equal(r.header.kind, 'cld');
  t.equal(r.md5Verified, false);
  t.same(r.members.map((m) => m.name), ['COPYING', 'daily.info', 'daily.hdb']);
  const stale = makeCvd({ db: 'daily', version: 27400, members, compress: false, md5: 'f'.repeat(32) });
  t.equal((await readCvd({ name: 'daily.cld', data: stale })).header.md5, 'f'.repeat(32), 'a carried-over MD5 does not fail a CLD');
});

t.test('a compressed CLD (CompressLocalDatabase) is told apart by its gzip magic', async (t) => {
  const r = await readCvd({ name: 'daily.cld', data: makeCvd({ db: 'daily', version: 27401, members, compress: true, md5: 'X' }) });
  t.same(r.members.map((m) => m.name), ['COPYING', 'daily.hdb']);
});

t.test('a truncated CLD is caught by the tar structure or its .info', async (t) => {
  const cld = makeCvd({ db: 'daily', version: 27402, members: [...members, { name: 'daily.ndb', data: Buffer.alloc(3000, 0x61) }], compress: false, info: true, md5: 'X' });
  await t.rejects(readCvd({ name: 'daily.cld', data: cld.subarray(0, cld.length - 2500) }), { code: 'WDAV_ERR_DEFINITIONS_INVALID', message: /truncated/u });
  const cutAtMember = cld.subarray(0, cld.indexOf(Buffer.from('daily.ndb\0')));
  await t.rejects(readCvd({ name: 'daily.cld', data: cutAtMember }), { message: /'daily\.ndb' listed in the \.info is missing/u });
});

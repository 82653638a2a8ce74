import t from 'tap';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { readCvd, parseCvdHeader } from '../../src/definitions/cvd.js';
import { makeCvd } from '../helpers/cvd-fixtures.js';
import { makeTar } from '../helpers/archive-fixtures.js';

const members = [{ name: 'main.hdb', data: Buffer.from('44d88612fea8a8f36de82e1278abb02f:68:Wdav.Test.Hash-1\n') }];

async function refused(t: { rejects: (p: Promise<unknown>, w: object) => Promise<void> }, data: Buffer, pattern: RegExp, name = 'main.cvd') {
  await t.rejects(readCvd({ name, data }), { code: 'WDAV_ERR_DEFINITIONS_INVALID', message: pattern, details: { file: name } });
}

t.test('a wrong MD5 is refused, naming the file and both sums', async (t) => {
  await refused(t, makeCvd({ db: 'main', version: 1, members, md5: '0'.repeat(32) }), /^main\.cvd: MD5 mismatch: header says 0{32}, body is [0-9a-f]{32}/u);
});

t.test('a truncated body is refused (the MD5 no longer matches)', async (t) => {
  const good = makeCvd({ db: 'main', version: 1, members: [{ name: 'main.hdb', data: crypto.randomBytes(20_000) }] });
  await refused(t, good.subarray(0, good.length - 700), /MD5 mismatch/u);
  await refused(t, good.subarray(0, 512), /no body after the header/u);
  await refused(t, good.subarray(0, 300), /truncated header \(300 of 512 bytes\)/u);
});

t.test('bad headers', async (t) => {
  const body = zlib.gzipSync(makeTar(members));
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  const withHeader = (text: string) => {
    const h = Buffer.alloc(512, 0x20);
    h.write(text, 0, 'latin1');
    return Buffer.concat([h, body]);
  };
  await refused(t, withHeader(`NotClam:x:1:1:90:${md5}:s:b:1`), /missing 'ClamAV-VDB:' magic/u);
  await refused(t, withHeader(`ClamAV-VDB:time:1:1:90:${md5}`), /6 fields, expected at least 8/u);
  await refused(t, withHeader(`ClamAV-VDB:time:one:1:90:${md5}:s:b:1`), /version 'one' is not a number/u);
  await refused(t, withHeader(`ClamAV-VDB:time:1:1:90:nothex:s:b:1`), /MD5 field 'nothex' is not 32 hex digits/u);
  await refused(t, withHeader(`ClamAV-VDB:time:1:-5:90:${md5}:s:b:1`), /signature count '-5'/u);
  t.throws(() => parseCvdHeader(Buffer.from('ClamAV-VDB:a:1:1:90:' + 'a'.repeat(32) + ':s:b\nzz'.padEnd(600, ' ')), 'x.cvd'), /control characters/u);
});

t.test('bodies that are not what a CVD may hold', async (t) => {
  const mk = (tar: Buffer) => {
    const body = zlib.gzipSync(tar);
    const h = Buffer.alloc(512, 0x20);
    h.write(`ClamAV-VDB:t:1:1:90:${crypto.createHash('md5').update(body).digest('hex')}:s:b:1`, 0, 'latin1');
    return Buffer.concat([h, body]);
  };
  await refused(t, mk(makeTar([{ name: 'sub/main.hdb', data: Buffer.from('x') }])), /member name 'sub\/main\.hdb' is not a plain file name/u);
  await refused(t, mk(makeTar([{ name: 'dir', type: '5' }])), /tar type '5'/u);
  await refused(t, mk(makeTar([{ name: 'a.hdb', data: Buffer.from('1') }, { name: 'a.hdb', data: Buffer.from('2') }])), /appears twice/u);
  await refused(t, mk(makeTar([])), /holds no members/u);
  await refused(t, mk(Buffer.from('not a tar at all'.repeat(40))), /body: tar: bad header checksum/u);
});

t.test('absurd sizes are refused before reading', async (t) => {
  const cvd = makeCvd({ db: 'main', version: 1, members: [{ name: 'main.hdb', data: crypto.randomBytes(4096) }] });
  await t.rejects(readCvd({ name: 'main.cvd', data: cvd }, { limits: { maxFileBytes: 1000 } }), /exceeds the 1000-byte limit/u);
  await t.rejects(readCvd({ name: 'main.cvd', data: cvd }, { limits: { maxMemberBytes: 1024 } }), /member 'main\.hdb' of 4096 bytes exceeds the 1024-byte limit/u);
  await t.rejects(readCvd({ name: 'main.cvd', data: cvd }, { limits: { maxMembers: 1 } }), /more than 1 members/u);
});

t.test('the .info cross-check: sizes, SHA-256, missing and unlisted members', async (t) => {
  const info = (lines: string[]) => ({ name: 'main.info', data: Buffer.from(['ClamAV-VDB:hdr', ...lines, 'DSIG:x'].join('\n')) });
  const data = members[0]!.data;
  const sha = crypto.createHash('sha256').update(data).digest('hex');
  await refused(t, makeCvd({ db: 'main', version: 1, members: [info([`main.hdb:${data.length + 1}:${sha}`]), ...members] }), /is \d+ bytes, the \.info says/u);
  await refused(t, makeCvd({ db: 'main', version: 1, members: [info([`main.hdb:${data.length}:${'0'.repeat(64)}`]), ...members] }), /SHA-256 does not match/u);
  await refused(t, makeCvd({ db: 'main', version: 1, members: [info([`main.hdb:${data.length}:${sha}`, `main.ndb:3:${sha}`]), ...members] }), /'main\.ndb' listed in the \.info is missing/u);
  await refused(t, makeCvd({ db: 'main', version: 1, members: [info([`main.hdb:${data.length}:${sha}`]), ...members, { name: 'extra.ndb', data: Buffer.from('x') }] }), /'extra\.ndb' is not listed/u);
});

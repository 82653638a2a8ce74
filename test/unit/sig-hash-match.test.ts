// Hash signatures (.hdb .hsb .hdu .hsu): MD5/SHA1/SHA256 told apart by length, exact size or
// `*`, a size mismatch never detects, and a file is only hashed when a signature could match.
import t from 'tap';
import { createHash } from 'node:crypto';
import { engineFor, outcome, scanData, loadSet, defsDir } from '../helpers/engine-fixtures.js';

const h = (alg: string, data: string): string => createHash(alg).update(data).digest('hex');

t.test('md5, sha1 and sha256 signatures with sizes and *', async (t) => {
  const a = 'first sample';
  const b = 'second sample!';
  const c = 'third sample, longer';
  const engine = await engineFor(t, {
    'x.hdb': `${h('md5', a)}:${a.length}:Win.Trojan.Md5Sig-1-0\n`,
    'y.hsb': `${h('sha1', b)}:*:Unix.Malware.Sha1Sig-2-0:73\r\n${h('sha256', c)}:${c.length}:Doc.Test.Sha256Sig-3-0\n`,
  });
  const r = await scanData(t, engine, a);
  t.match(r, { kind: 'detected', name: 'Win.Trojan.Md5Sig-1-0', threatType: 'trojan', engine: 'hash' });
  t.equal(outcome(await scanData(t, engine, b)), 'Unix.Malware.Sha1Sig-2-0');
  t.match(await scanData(t, engine, c), { name: 'Doc.Test.Sha256Sig-3-0', threatType: 'test' });
  t.equal(outcome(await scanData(t, engine, a + ' ')), 'clean');
});

t.test('a digest with the wrong size does not detect', async (t) => {
  const a = 'sized content';
  const engine = await engineFor(t, { 'x.hdb': `${h('md5', a)}:${a.length + 1}:Win.Virus.Wrong-1-0\n` });
  t.equal(outcome(await scanData(t, engine, a)), 'clean');
});

t.test('hashing is only requested for sizes that have signatures', async (t) => {
  const set = await loadSet(t, [defsDir(t, { 'x.hdb': `${h('md5', 'abc')}:3:A-1-0\n`, 'y.hsb': `${h('sha256', 'abcd')}:4:B-1-0\n` })]);
  t.same([...set.hashKindsFor(3)], ['md5']);
  t.same([...set.hashKindsFor(4)], ['sha256']);
  t.same([...set.hashKindsFor(5)], []);
  t.same([...set.hashKindsFor(undefined)].sort(), ['md5', 'sha256']);
  const star = await loadSet(t, [defsDir(t, { 'z.hsb': `${h('sha1', 'q')}:*:C-1-0\n` })]);
  t.same([...star.hashKindsFor(123456)], ['sha1']);
});

t.test('.hdu/.hsu databases are potentially unwanted', async (t) => {
  const a = 'adware payload';
  const engine = await engineFor(t, { 'p.hdu': `${h('md5', a)}:${a.length}:Win.Packed.Thing-1-0\n` });
  t.match(await scanData(t, engine, a), { kind: 'detected', threatType: 'potentially_unwanted_application' });
});

t.test('malformed lines are counted with file:line and do not stop the file', async (t) => {
  const a = 'still loaded';
  const set = await loadSet(t, [
    defsDir(t, {
      'm.hdb': [
        'nothex:12:Bad-1',
        `${h('md5', 'x').slice(0, 30)}:1:ShortHash-1`,
        `${h('md5', 'x')}:-4:BadSize-1`,
        `${h('md5', 'x')}:99999999999:HugeSize-1`,
        `${h('md5', 'x')}:1:`,
        `${h('md5', 'x')}:1:Future-1:999`,
        `${h('md5', a)}:${a.length}:Good.Sig-1-0`,
        '',
        '# comment',
      ].join('\n'),
    }),
  ]);
  const f = set.report.files[0]!;
  t.equal(f.loaded, 1);
  t.equal(f.malformed, 5);
  t.same(f.skipReasons, { flevel: 1 });
  t.match(f.errors[0], /m\.hdb:1: hash of 6 hex digits/);
  t.match(f.errors[1], /m\.hdb:2: hash of 30 hex digits/);
  t.match(f.errors[3], /m\.hdb:4: size above/);
  t.equal(set.report.formats['hdb']?.loaded, 1);
  t.equal(set.report.counts.hashSignatures, 1);
});

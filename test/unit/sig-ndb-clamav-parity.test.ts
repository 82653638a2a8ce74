// Body signatures mean what they mean to ClamAV: the same .ndb lines and files are given to
// clamscan (when installed) and to our engine, and every file must get the same answer.
// (We accept a superset of ClamAV's syntax — 2-byte patterns, `[n-m]` anywhere — so only
// signatures ClamAV loads are compared; target 7 is left out: ClamAV normalises text first.)
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CTX, engineFor, MATCHERS, outcome, tmpDir } from '../helpers/engine-fixtures.js';

const clamscan = spawnSync('clamscan', ['--version'], { encoding: 'utf8' });
const skip = clamscan.status === 0 ? false : 'clamscan is not installed';

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const z = (n: number): string => 'z'.repeat(n);

const SIGS: [string, string[]][] = [
  [`0:*:${hex('ABCD')}`, ['ABCD', 'ABC D']],
  ['0:*:414243??44', ['ABC!D', 'ABCD', 'ABC!!D']],
  ['0:*:4142434?', ['ABC@', 'ABCO', 'ABCP']],
  ['0:*:414243?5', ['ABCE', 'ABCU', 'ABCF']],
  ['0:*:414243*4445', ['ABCDE', `ABC${'x'.repeat(5000)}DE`, 'DEABC']],
  ['0:*:414243{3}4445', ['ABCxxxDE', 'ABCxxDE', 'ABCxxxxDE']],
  ['0:*:414243{2-4}4445', ['ABCxDE', 'ABCxxDE', 'ABCxxxxDE', 'ABCxxxxxDE']],
  ['0:*:414243{-2}4445', ['ABCDE', 'ABCxxDE', 'ABCxxxDE']],
  ['0:*:414243{3-}4445', ['ABCxxDE', 'ABCxxxDE', `ABC${'x'.repeat(9000)}DE`]],
  ['0:*:414243(44|4546)4748', ['ABCDGH', 'ABCEFGH', 'ABCEGH']],
  ['0:*:414243!(44|45)4647', ['ABCxFG', 'ABCDFG', 'ABCEFG']],
  [`0:10:${hex('ABC')}`, [`${'x'.repeat(10)}ABC${z(30)}`, `${'x'.repeat(11)}ABC${z(30)}`, `${'x'.repeat(9)}ABC${z(30)}`]],
  [`0:10,5:${hex('ABC')}`, [`${'x'.repeat(15)}ABC${z(30)}`, `${'x'.repeat(16)}ABC${z(30)}`]],
  [`0:EOF-5:${hex('ABCDE')}`, [`${z(40)}ABCDE`, `${z(40)}ABCDEz`]],
  [`0:EOF-8,2:${hex('ABC')}`, [`${z(40)}ABCzzzzz`, `${z(40)}zABCzzzz`, `${z(40)}zzABCzzz`, `${z(40)}zzzABCzz`, `${z(40)}xABCzzzzz`]],
];

t.test('same answers as clamscan', { skip }, async (t) => {
  const dir = tmpDir(t);
  const files: { file: string; sig: string }[] = [];
  SIGS.forEach(([sig, datas], i) => {
    datas.forEach((d, k) => {
      // Pad the side the offset does not depend on: ClamAV skips tiny files.
      const data = sig.split(':')[1] === '*' ? z(40) + d + z(40) : d;
      const file = path.join(dir, `s${i}_${k}`);
      fs.writeFileSync(file, data);
      files.push({ file, sig });
    });
  });
  for (const [i, [sig]] of SIGS.entries()) {
    const line = `Parity.Sig-${i}-0:${sig}\n`;
    const db = path.join(dir, `p${i}.ndb`);
    fs.writeFileSync(db, line);
    const mine = files.filter((f) => f.sig === sig);
    const r = spawnSync('clamscan', ['--no-summary', '-d', db, ...mine.map((f) => f.file)], { encoding: 'utf8' });
    t.notMatch(r.stderr, /Can't load|Malformed/, `clamscan loads ${sig}`);
    for (const m of MATCHERS) {
      const engine = await engineFor(t, { 'p.ndb': line }, { bodyMatcher: m });
      for (const f of mine) {
        const found = new RegExp(`^${f.file}: .* FOUND$`, 'm').test(r.stdout);
        const ours = outcome(await engine.scan({ path: f.file }, CTX)) !== 'clean';
        t.equal(ours, found, `${m}: ${sig} on ${path.basename(f.file)} (clamscan ${found ? 'FOUND' : 'OK'})`);
      }
    }
  }
});

// Body signatures (.ndb): every construct matches what it should and nothing more, with both
// body matchers (Vectorscan and the libyara fallback).
import t from 'tap';
import { CTX, engineFor, MATCHERS, outcome, scanData } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const x = (n: number): string => 'x'.repeat(n);

// [signature line (name added), data that must match, data that must not]
const CASES: [string, string, string[], string[]][] = [
  ['literal', `0:*:${hex('ABCD')}`, ['xxABCDyy', 'ABCD'], ['ABC D', 'ABDC', 'abcd']],
  ['lowercase hex', `0:*:${hex('ABCD').toLowerCase()}`, ['ABCD'], ['ABCE']],
  ['any byte ??', `0:*:4142??44`, ['AB!D', 'ABBD'], ['ABD', 'AB!!D']],
  ['high nibble a?', `0:*:41424?`, ['AB@', 'ABO'], ['ABP', 'AB?']],
  ['low nibble ?a', `0:*:4142?5`, ['ABE', 'ABU', 'AB\x05'], ['ABF', 'AB\x06']],
  ['star', `0:*:4142*4344`, ['ABCD', `AB${x(5000)}CD`, `AB${x(3 << 20)}CD`], ['CDAB', 'ABC']],
  ['exact jump {n}', `0:*:4142{3}4344`, ['ABxxxCD'], ['ABxxCD', 'ABxxxxCD']],
  ['range jump {n-m}', `0:*:4142{2-4}4344`, ['ABxxCD', 'ABxxxCD', 'ABxxxxCD'], ['ABxCD', 'ABxxxxxCD']],
  ['range jump [n-m]', `0:*:4142[1-2]4344`, ['ABxCD', 'ABxxCD'], ['ABCD', 'ABxxxCD']],
  ['up-to jump {-n}', `0:*:4142{-2}4344`, ['ABCD', 'ABxCD', 'ABxxCD'], ['ABxxxCD']],
  ['at-least jump {n-}', `0:*:4142{3-}4344`, ['ABxxxCD', `AB${x(20000)}CD`], ['ABxxCD', 'ABCD']],
  ['alternatives', `0:*:4142(43|4445)46`, ['ABCF', 'ABDEF'], ['ABDF', 'ABEF', 'ABCEF']],
  ['alternatives with wildcards', `0:*:4142(4?|??5a)45`, ['ABGE', 'AB!ZE'], ['ABPE', 'AB!YE']],
  ['negated alternatives', `0:*:4142!(43|44)45`, ['ABxE', 'ABEE'], ['ABCE', 'ABDE', 'ABE']],
  ['offset n', `0:10:4142`, [`${x(10)}AB`, `${x(10)}ABzz`], [`${x(9)}AB`, `${x(11)}AB`, 'AB']],
  ['offset n,shift', `0:10,5:4142`, [`${x(10)}AB`, `${x(15)}AB`], [`${x(9)}AB`, `${x(16)}AB`]],
  ['offset 0 variable length', `0:0:(4142|43)4445`, ['ABDE', 'CDEzz'], ['xCDE', 'xABDE']],
  ['offset n variable length', `0:3:4141{1-3}42`, ['xxxAAxB', 'xxxAAxxxB'], ['xxAAxB', 'xxxxAAxB', 'xxxAAB']],
  ['EOF-n', `0:EOF-4:${hex('ABCD')}`, ['xxxxABCD', 'ABCD'], ['xxxxABCDz', 'ABCDx', 'xABC']],
  ['EOF-n,shift', `0:EOF-6,2:4142`, ['xxxxABzzzz', 'xxxxxABzzz', 'xxxxxxABzz'], ['xxxABzzzzz', 'xxxxxxxABz']],
  ['target 7 (text) scans raw bytes', `7:*:${hex('ABCD')}`, ['some ABCD text'], ['some abcd text']],
];

for (const m of MATCHERS) {
  t.test(`${m}: constructs match and do not over-match`, async (t) => {
    for (const [name, sig, yes, no] of CASES) {
      const sigName = `Test.Ndb.${name.replace(/\W+/g, '_')}-1-0`;
      const engine = await engineFor(t, { 't.ndb': `${sigName}:${sig}\n` }, { bodyMatcher: m });
      t.equal(engine.definitions.report.counts.bodySignatures, 1, `${name}: loaded`);
      for (const d of yes) t.equal(outcome(await scanData(t, engine, d)), sigName, `${name}: matches ${JSON.stringify(d.slice(0, 24))}`);
      for (const d of no) t.equal(outcome(await scanData(t, engine, d)), 'clean', `${name}: does not match ${JSON.stringify(d.slice(0, 24))}`);
    }
  });
}

t.test('scan context is honoured: size limit skips before reading', async (t) => {
  const engine = await engineFor(t, { 't.ndb': `Test.Sig-1-0:0:*:${hex('ABCD')}\n` });
  t.equal(outcome(await scanData(t, engine, `${x(100)}ABCD`, { ...CTX, maxFileSize: 50 })), 'skipped:too_large');
  t.equal(outcome(await scanData(t, engine, `${x(10)}ABCD`, { ...CTX, maxFileSize: 50 })), 'Test.Sig-1-0');
});

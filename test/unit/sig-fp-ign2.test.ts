// Allow-lists (.fp/.sfp: a matching hash makes the file clean, whatever else matched) and
// ignore lists (.ign2/.ign: a listed signature name never reports), with both body matchers.
import t from 'tap';
import { createHash } from 'node:crypto';
import { engineFor, MATCHERS, outcome, scanData } from '../helpers/engine-fixtures.js';
import { eicarBytes } from '../../src/definitions/eicar.js';

const h = (alg: string, data: string | Buffer): string => createHash(alg).update(data).digest('hex');
const hex = (s: string): string => Buffer.from(s).toString('hex');

for (const m of MATCHERS) {
  t.test(`${m}: .fp/.sfp make a matching file clean`, async (t) => {
    const bad = 'contains EVILBYTES here';
    const good = 'contains EVILBYTES but is known good';
    const eicarPadded = Buffer.concat([eicarBytes(), Buffer.from('  \r\n')]);
    const engine = await engineFor(
      t,
      {
        'b.ndb': `Win.Trojan.Evil-1-0:0:*:${hex('EVILBYTES')}\n`,
        'h.hdb': `${h('md5', good)}:${good.length}:Win.Trojan.ByHash-1-0\n`,
        'a.fp': `${h('md5', good)}:${good.length}:Known.Good-1\n`,
        'a.sfp': `${h('sha256', eicarPadded)}:*:Known.Eicar.Copy\n`,
      },
      { bodyMatcher: m },
    );
    t.equal(outcome(await scanData(t, engine, bad)), 'Win.Trojan.Evil-1-0');
    t.equal(outcome(await scanData(t, engine, good)), 'clean', 'body and hash detections suppressed by .fp');
    t.equal(outcome(await scanData(t, engine, eicarPadded)), 'clean', 'even the built-in EICAR is allow-listed by .sfp');
    t.equal(outcome(await scanData(t, engine, eicarBytes())), 'Virus:DOS/EICAR_Test_File');
    t.equal(engine.definitions.report.counts.allowList, 2);
  });

  t.test(`${m}: .ign2 and .ign drop signatures by name`, async (t) => {
    const byHash = 'hash-detected content';
    const engine = await engineFor(
      t,
      {
        'b.ndb': [`Win.Trojan.Ignored-1-0:0:*:${hex('IGNOREME')}`, `Win.Trojan.Kept-2-0:0:*:${hex('KEEPME')}`].join('\n'),
        'h.hdb': `${h('md5', byHash)}:${byHash.length}:Win.Trojan.HashIgnored-1-0\n`,
        'r.yar': 'rule yara_ignored { strings: $a = "YARAHIT" condition: $a }\n',
        'a.ign2': 'Win.Trojan.Ignored-1-0\nyara_ignored:0123456789abcdef0123456789abcdef\n',
        'b.ign': 'daily.hdb:1234:Win.Trojan.HashIgnored-1-0\n',
      },
      { bodyMatcher: m },
    );
    t.equal(outcome(await scanData(t, engine, 'xx IGNOREME xx')), 'clean');
    t.equal(outcome(await scanData(t, engine, 'xx KEEPME xx')), 'Win.Trojan.Kept-2-0');
    t.equal(outcome(await scanData(t, engine, byHash)), 'clean');
    t.equal(outcome(await scanData(t, engine, 'some YARAHIT')), 'clean');
    const ndb = engine.definitions.report.files.find((f) => f.file.endsWith('b.ndb'))!;
    t.same({ loaded: ndb.loaded, skipped: ndb.skipped, reasons: ndb.skipReasons }, { loaded: 1, skipped: 1, reasons: { 'ignored (ign2)': 1 } });
    t.equal(engine.definitions.report.counts.ignoredNames, 3);
  });
}

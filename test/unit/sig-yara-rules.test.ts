// YARA rules (.yar/.yara) through libyara: threat type from meta, compile errors reported with
// file and line while the other files load, scans off the event loop.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CTX, engineFor, outcome, scanData, tmpDir, withLoopGaps } from '../helpers/engine-fixtures.js';

t.test('rules load, threat_type comes from meta (default virus)', async (t) => {
  const engine = await engineFor(t, {
    'a.yar': 'rule troj { meta: threat_type = "trojan" strings: $a = "TROJ-MARK" condition: $a }\n',
    'b.yara': 'rule plain { strings: $a = "PLAIN-MARK" condition: $a }\nrule weird { meta: threat_type = "nonsense" strings: $a = "WEIRD-MARK" condition: $a }\n',
  });
  t.match(await scanData(t, engine, 'x TROJ-MARK x'), { kind: 'detected', name: 'troj', threatType: 'trojan', engine: 'yara' });
  t.match(await scanData(t, engine, 'x PLAIN-MARK x'), { name: 'plain', threatType: 'virus' });
  t.match(await scanData(t, engine, 'x WEIRD-MARK x'), { name: 'weird', threatType: 'virus' });
  t.equal(outcome(await scanData(t, engine, 'nothing here')), 'clean');
  t.equal(engine.definitions.report.formats['yar']?.loaded, 1);
  t.equal(engine.definitions.report.formats['yara']?.loaded, 2);
});

t.test('a file that does not compile is reported with file:line; the others load', async (t) => {
  const engine = await engineFor(t, {
    'bad.yar': 'rule ok_in_bad { condition: true }\n\nrule broken {\n  strings: $a = "x"\n  condition: $b\n}\n',
    'dup1.yar': 'rule same_name { strings: $a = "DUP-ONE" condition: $a }\n',
    'dup2.yar': '// second file\nrule same_name { strings: $a = "DUP-TWO" condition: $a }\n',
    'good.yar': 'rule good { strings: $a = "GOOD-MARK" condition: $a }\n',
  });
  const r = engine.definitions.report;
  const bad = r.files.find((f) => f.file.endsWith('bad.yar'))!;
  t.equal(bad.loaded, 0);
  // libyara names the line where its parser noticed: the rule's closing brace.
  t.match(bad.errors[0], /bad\.yar:6: undefined string "\$b"/);
  const dup2 = r.files.find((f) => f.file.endsWith('dup2.yar'))!;
  t.match(dup2.errors[0], /dup2\.yar:2: .*duplicated identifier "same_name"/);
  t.equal(r.problems.length, 2);
  t.equal(outcome(await scanData(t, engine, 'GOOD-MARK')), 'good');
  t.equal(outcome(await scanData(t, engine, 'DUP-ONE')), 'same_name');
  t.equal(outcome(await scanData(t, engine, 'DUP-TWO')), 'clean');
  t.equal(outcome(await scanData(t, engine, 'anything')), 'clean', 'the rule from the broken file is not loaded');
});

t.test('a large YARA scan does not block the event loop', async (t) => {
  // 2,000 hex strings and a regular expression: a scan of 24 MiB takes a while.
  const many = Array.from({ length: 2000 }, (_, i) => `$h${i} = { ${randomBytes(6).toString('hex').replace(/(..)/g, '$1 ')}}`).join('\n');
  const engine = await engineFor(t, { 'slow.yar': `rule needle { strings: $a = /N[a-z]{3,40}E[0-9]{2,9}D/ ${many} condition: $a or any of ($h*) }\n` });
  const data = Buffer.alloc(24 << 20, 0x61);
  data.write('NeedleE42D', data.length - 20);
  const file = path.join(tmpDir(t), 'big.bin');
  fs.writeFileSync(file, data);
  const { value: r, ms, maxGap, elu } = await withLoopGaps(() => engine.scan({ path: file }, CTX));
  t.equal(outcome(r), 'needle');
  t.ok(elu < 0.5, `event loop busy ${(elu * 100).toFixed(0)}% of a ${ms.toFixed(0)} ms scan (longest timer gap ${maxGap.toFixed(1)} ms)`);
});

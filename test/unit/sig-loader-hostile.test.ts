// The loader takes hostile input without failing: binary garbage, CRLF, huge lines, truncated
// files, unsupported formats, unreadable paths; in-memory members (CVD contents) load like files.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { createEngine } from '../../src/engine/engine.js';
import { defsDir, loadSet, outcome, scanData, tmpDir } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

t.test('garbage, CRLF, a huge line and a truncated last line', async (t) => {
  const good = `Good.Sig-1-0:0:*:${hex('GOODSIG')}`;
  const dir = defsDir(t, {
    'g.ndb': Buffer.concat([
      randomBytes(3000),
      Buffer.from(`\r\n${good}\r\n`),
      Buffer.from(`Cut.Sig-3-0:0:*:414`),
    ]),
    'h.ndb': `Huge.Sig-1-0:0:*:${'41'.repeat(3 << 20)}\nSmall.Sig-2-0:0:*:${hex('AFTERHUGE')}\n`,
    'z.hdb': Buffer.concat([randomBytes(5000), Buffer.from('\n'), Buffer.from(`${createHash('md5').update('q').digest('hex')}:1:Tail`)]),
  });
  const set = await loadSet(t, [dir]);
  const f = set.report.files.find((x) => x.file.endsWith('g.ndb'))!;
  t.equal(f.loaded, 1, 'the good line loads');
  t.ok(f.malformed >= 2, `garbage and cut lines counted (${f.malformed})`);
  const huge = set.report.files.find((x) => x.file.endsWith('h.ndb'))!;
  t.same([huge.loaded, huge.malformed], [1, 1]);
  t.match(huge.errors[0], /h\.ndb:1: line too long/);
  t.ok(f.errors.every((e) => /g\.ndb:\d+: /.test(e)), 'errors name file:line');
  t.ok(f.errors.length <= 5, 'capped');
  t.equal(outcome(await scanData(t, createEngine({ definitions: set }), 'xx GOODSIG xx')), 'Good.Sig-1-0');
  t.equal(outcome(await scanData(t, createEngine({ definitions: set }), 'q')), 'Tail', 'hash file loads its last line without a newline');
});

t.test('in-memory members, unsupported formats, unreadable inputs', async (t) => {
  const missing = path.join(tmpDir(t), 'nope');
  const set = await loadSet(t, [
    { name: 'daily.ndb', data: Buffer.from(`Mem.Sig-1-0:0:*:${hex('FROMMEMORY')}\n`), origin: 'daily.cvd' },
    { name: 'daily.ldb', data: Buffer.from('Sig1;Engine:51-255,Target:0;0;4142\nSig2;x\n') },
    { name: 'daily.info', data: Buffer.from('ignored\n') },
    missing,
    defsDir(t, { 'main.cvd': 'not really a cvd', '.hidden.ndb': 'x', 'notes.txt': 'x' }),
  ]);
  const r = set.report;
  t.same(
    r.files.map((f) => [f.file.replace(/.*\//, ''), f.format, f.loaded, f.skipped]),
    [
      ['daily.ndb', 'ndb', 1, 0],
      ['daily.ldb', 'ldb', 0, 2],
      ['main.cvd', 'cvd', 0, 1],
    ],
  );
  t.equal(r.files[0]!.file, 'daily.cvd/daily.ndb');
  t.match(r.problems.join('\n'), /nope: ENOENT/);
  t.match(r.problems.join('\n'), /main\.cvd: container not loaded/);
  t.equal(outcome(await scanData(t, createEngine({ definitions: set }), 'FROMMEMORY')), 'Mem.Sig-1-0');
  t.ok(Object.isFrozen(r) && Object.isFrozen(r.files[0]), 'the report is immutable');
});

t.test('containers are expanded by the configured reader', async (t) => {
  const dir = defsDir(t, { 'daily.cvd': 'opaque' });
  const set = await loadSet(t, [dir], {
    expandContainer: async (f) => {
      t.equal(fs.readFileSync(f.path!, 'utf8'), 'opaque');
      return [{ name: 'daily.ndb', data: Buffer.from(`Cvd.Sig-1-0:0:*:${hex('INSIDECVD')}\n`) }];
    },
  });
  t.equal(set.report.files[1]!.file, `${path.join(dir, 'daily.cvd')}/daily.ndb`);
  t.equal(outcome(await scanData(t, createEngine({ definitions: set }), 'INSIDECVD')), 'Cvd.Sig-1-0');
});

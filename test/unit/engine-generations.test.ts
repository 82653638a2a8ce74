// Switching definition sets is atomic: new scans use the new set at once, a scan in flight
// finishes on the set it started with, and the old set is closed only after it drained.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { CTX, defsDir, loadSet, outcome, tmpDir } from '../helpers/engine-fixtures.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

t.test('switch while a scan is in flight', async (t) => {
  const oldSet = await loadSet(t, [defsDir(t, { 'a.ndb': `Old.Sig-1-0:0:*:${hex('MARKER')}\n`, 'r.yar': 'rule old_rule { strings: $a = "YMARK" condition: $a }' })]);
  const newSet = await loadSet(t, [defsDir(t, { 'a.ndb': `New.Sig-1-0:0:*:${hex('MARKER')}\n` })]);
  const engine = createEngine({ definitions: oldSet, chunkSize: 64 * 1024 });
  t.equal(engine.generation, 0);
  const dir = tmpDir(t);
  const big = path.join(dir, 'big');
  const data = Buffer.alloc(24 << 20, 0x2e);
  data.write('MARKER', data.length - 100);
  fs.writeFileSync(big, data);
  const small = path.join(dir, 'small');
  fs.writeFileSync(small, 'xx MARKER xx');

  const inFlight = engine.scan({ path: big }, CTX);
  await new Promise((r) => setImmediate(r));
  t.equal(engine.stats().inFlight, 1);
  let switched = false;
  const switching = engine.setDefinitions(newSet).then(() => (switched = true));
  t.equal(engine.generation, 1);
  t.equal(engine.definitions, newSet);
  const now = await engine.scan({ path: small }, CTX);
  t.match(now, { name: 'New.Sig-1-0', generation: 1 }, 'a new scan uses the new set');
  t.notOk(switched, 'the switch waits for the old scan');
  const old = await inFlight;
  t.match(old, { name: 'Old.Sig-1-0', generation: 0 }, 'the scan in flight finished on the old set');
  await switching;
  t.ok(switched);
  await t.rejects(oldSet.yara!.scan(Buffer.from('YMARK'), { limitMs: 1000, realTime: false }), /closed/, 'the old set was closed after it drained');
  t.equal(outcome(await engine.scan({ path: small }, CTX)), 'New.Sig-1-0');
});

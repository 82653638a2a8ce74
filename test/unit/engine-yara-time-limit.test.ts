// The engine's YARA time limit (issue #11, finding 2): a YARA scan ends at ctx.timeLimitMs (or a
// real-time deadline) and the file is clean with `scanTimeout`, counted by origin; a file the
// other engines already detect never reaches YARA; a cancelled scan (its AbortSignal) ends at
// once and leaves no YARA thread running.
import t from 'tap';
import { CTX, engineFor, outcome, scanData } from '../helpers/engine-fixtures.js';
import { SLOW_RULE, slowBytes } from '../helpers/yara-slow.js';
import { eicar } from '../helpers/archive-fixtures.js';
import { loadNative } from '../../src/shared/native.js';
import { yaraBinding } from '../../src/engine/yara/binding.js';

const MARK = ['WDAV', 'SLOW', 'UNIT', 'MARK'].join('_');
const yara = yaraBinding(loadNative())!;
t.teardown(() => yara.yaraStopAll());

async function idle(): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (yara.yaraStats().running === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

t.test('a slow scan ends at its limit: clean, scanTimeout, counted', async (t) => {
  const e = await engineFor(t, { 'slow.yar': SLOW_RULE });
  const t0 = Date.now();
  const r = await scanData(t, e, slowBytes(), { ...CTX, timeLimitMs: 500 });
  const ms = Date.now() - t0;
  t.match(r, { kind: 'clean', scanTimeout: { engine: 'yara', limitMs: 500 } });
  t.ok(ms < 5000, `ended near the limit (${ms} ms), not minutes later`);
  t.equal(e.stats().scanTimeouts.on_demand, 1);
  t.ok(await idle(), 'no YARA thread is left running');
});

t.test('a real-time deadline bounds the scan, whatever the limit', async (t) => {
  const e = await engineFor(t, { 'slow.yar': SLOW_RULE });
  const t0 = Date.now();
  const r = await scanData(t, e, slowBytes(), { ...CTX, origin: 'real_time', timeLimitMs: 60_000, deadline: Date.now() + 700 });
  const ms = Date.now() - t0;
  t.equal(r.kind, 'clean');
  t.ok(r.kind === 'clean' && r.scanTimeout && r.scanTimeout.limitMs <= 700, 'timed out at the deadline');
  t.ok(ms < 3000, `the verdict came by the deadline (${ms} ms)`);
  t.equal(e.stats().scanTimeouts.real_time, 1);
  t.ok(await idle());
});

t.test('files the other engines detect never reach YARA', async (t) => {
  const e = await engineFor(t, { 'slow.yar': SLOW_RULE, 'm.ndb': `Test.SlowUnitMark:0:*:${Buffer.from(MARK).toString('hex')}\n` });
  const before = yara.yaraStats().completed;
  t.equal(outcome(await scanData(t, e, Buffer.concat([slowBytes(), Buffer.from(MARK)]), { ...CTX, timeLimitMs: 60_000 })), 'Test.SlowUnitMark', 'body signature');
  t.equal(outcome(await scanData(t, e, eicar(), { ...CTX, timeLimitMs: 60_000 })), 'Virus:DOS/EICAR_Test_File', 'built-in EICAR');
  t.equal(yara.yaraStats().completed, before, 'no YARA scan was made');
});

t.test('an aborted scan ends at once and stops its YARA thread', async (t) => {
  const e = await engineFor(t, { 'slow.yar': SLOW_RULE });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const t0 = Date.now();
  const r = await scanData(t, e, slowBytes(), { ...CTX, timeLimitMs: 60_000, signal: ac.signal });
  t.match(r, { kind: 'error', code: 'WDAV_ERR_SCAN_CANCELLED' });
  t.ok(Date.now() - t0 < 3000, `settled right after the abort (${Date.now() - t0} ms)`);
  t.ok(await idle(), 'the YARA thread stopped');
});

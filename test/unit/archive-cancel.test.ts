import t from 'tap';
import crypto from 'node:crypto';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { makeTar } from '../helpers/archive-fixtures.js';

const tar = makeTar(Array.from({ length: 50 }, (_, i) => ({ name: `m${i}`, data: crypto.randomBytes(200_000) })));

t.test('ctx.signal stops the walk between chunks with WDAV_ERR_SCAN_CANCELLED', async (t) => {
  const ac = new AbortController();
  let seen = 0;
  const r = await walkArchive(new BufferSource(tar), { signal: ac.signal }, async (m) => {
    if (++seen === 3) ac.abort();
    for await (const _ of m.chunks());
    return { kind: 'clean' };
  });
  t.equal(r.kind, 'error');
  t.equal(r.kind === 'error' && r.code, 'WDAV_ERR_SCAN_CANCELLED');
  t.equal(seen, 3, 'no member after the abort');
});

t.test('maxScanTimeMs turns a slow walk into Heuristics.Limits.Exceeded.MaxScanTime', async (t) => {
  const t0 = Date.now();
  const r = await walkArchive(new BufferSource(tar), { limits: { maxScanTimeMs: 150 } }, async (m) => {
    for await (const _ of m.chunks()) await new Promise((res) => setTimeout(res, 5)); // a slow scanner
    return { kind: 'clean' };
  });
  const ms = Date.now() - t0;
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxScanTime');
  t.ok(ms < 1500, `stopped after ${ms} ms`);
});

t.test('a scanner stuck in its own work is released by the signal at the deadline', async (t) => {
  const t0 = Date.now();
  const r = await walkArchive(new BufferSource(tar), { limits: { maxScanTimeMs: 150 } }, async (_m, signal) => {
    await new Promise((res) => signal.addEventListener('abort', res, { once: true }));
    return { kind: 'clean' };
  });
  const ms = Date.now() - t0;
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxScanTime');
  t.ok(ms >= 140 && ms < 1500, `released after ${ms} ms`);
});

t.test('the deadline timer ends the walk even when the wall clock does not move (stepped back, or a tie)', async (t) => {
  // Date.now() is the wall clock; the deadline timer is monotonic. A tie (the timer firing in
  // the deadline's own millisecond) or a clock stepped back must not let the walk go on and
  // hand the next member a signal that is already aborted.
  const realNow = Date.now;
  const frozen = realNow();
  Date.now = () => frozen;
  t.teardown(() => {
    Date.now = realNow;
  });
  let calls = 0;
  const r = await walkArchive(new BufferSource(tar), { limits: { maxScanTimeMs: 100 } }, async (_m, signal) => {
    calls++;
    if (signal.aborted) return { kind: 'clean' };
    await new Promise((res) => signal.addEventListener('abort', res, { once: true }));
    return { kind: 'clean' };
  });
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxScanTime');
  t.equal(calls, 1, 'no member after the deadline');
});

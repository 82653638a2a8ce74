// The YARA threads (native/core/yara_pool.h) keep room for real-time scans: on-demand scans of
// slow files occupy at most half of the threads, the rest queue, and a real-time scan started
// meanwhile runs at once; stopping them all (shutdown) settles every promise.
import t from 'tap';
import { loadNative } from '../../src/shared/native.js';
import { yaraBinding } from '../../src/engine/yara/binding.js';
import { SLOW_RULE, slowBytes } from '../helpers/yara-slow.js';

const y = yaraBinding(loadNative())!;
t.teardown(() => y.yaraStopAll());

t.test('slow on-demand scans leave threads for a real-time scan', async (t) => {
  const slow = (await y.yaraCompile([{ file: 'slow.yar', source: SLOW_RULE }])).rules!;
  const fast = (await y.yaraCompile([{ file: 'fast.yar', source: 'rule Fast { strings: $a = "FAST-MARK" condition: $a }' }])).rules!;
  const data = slowBytes();
  const base = 900_000;
  const onDemand = [0, 1, 2, 3].map((i) => y.yaraScan(slow, data, { id: base + i, limitMs: 30_000 }));
  for (let i = 0; i < 50 && y.yaraStats().running < 2; i++) await new Promise((r) => setTimeout(r, 20));
  const st = y.yaraStats();
  t.equal(st.running, st.onDemandMaxThreads, `on-demand scans run on ${st.onDemandMaxThreads} of ${st.maxThreads} threads`);
  t.equal(st.depth, 4 - st.onDemandMaxThreads, 'the others wait in the queue');
  const t0 = Date.now();
  const rt = await y.yaraScan(fast, Buffer.from('.. FAST-MARK ..'), { id: base + 10, limitMs: 1000, realTime: true });
  t.match(rt, { status: 'ok', matches: [{ rule: 'Fast' }] });
  t.ok(Date.now() - t0 < 1000, `the real-time scan ran at once (${Date.now() - t0} ms, waited ${rt.waitMs.toFixed(1)} ms for a thread)`);
  t.ok(y.yaraCancel(base + 3), 'a queued scan can be cancelled');
  t.ok(y.yaraStopAll() >= 3, 'the rest are stopped');
  const results = await Promise.all(onDemand);
  t.same(results.map((r) => r.status), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  t.equal(y.yaraStats().running, 0);
});

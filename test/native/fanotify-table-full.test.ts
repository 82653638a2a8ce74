// Bounded pending table: with capacity 1 and a stalled JS thread, a second event gets the
// default response at once (counted as tableFull) while the first waits for its deadline.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, opener, sleep, until } from './fanotify-harness.js';

t.test('pending table full → default response at once', { skip }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'clean a');
  const b = put(path.join(dir, 'b.txt'), 'clean b');
  const l = await startListener(t, { mount: dir, pendingCapacity: 1, timeoutMs: 800, defaultResponse: 'deny' });
  await l.request('stall', { ms: 1500 });
  const first = opener(a);
  await sleep(250);
  const rb = await opener(b).done;
  t.same([rb.ok, rb.code], [false, 'EPERM'], 'second open: default response (deny)');
  t.ok(rb.ms < 700, `answered at once (${rb.ms.toFixed(0)} ms), not at the deadline`);
  const ra = await first.done;
  t.equal(ra.code, 'EPERM', 'first open: answered at its deadline with the default');
  const s = await until(async () => { const v = await l.stats(); return v.answeredByJs.late === 1 && v; }, 8000);
  t.ok(s, 'listener resumed');
  if (s) {
    t.equal(s.answeredNatively.tableFull, 1);
    t.equal(s.answeredNatively.timeout, 1);
    t.equal(s.pending.maxDepth, 1, 'never more than the capacity pending');
    t.equal(s.pending.depth, 0);
  }
});

// Bounded pending table: with capacity 1 and a stalled JS thread, a second event gets the
// default response at once (counted as tableFull); the first stays pending and is answered by
// JS once it resumes. Ordering is made certain by waiting until the first opener is blocked.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, opener, until, blockedOnFanotify } from './fanotify-harness.js';

t.test('pending table full → default response at once', { skip }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'clean a');
  const b = put(path.join(dir, 'b.txt'), 'clean b');
  const l = await startListener(t, { mount: dir, pendingCapacity: 1, timeoutMs: 20000, defaultResponse: 'deny' });
  const release = await l.stall();
  const first = opener(a);
  t.ok(await until(() => blockedOnFanotify(first.proc.pid), 14_000), 'first opener waits for a verdict');
  const rb = await opener(b).done;
  t.same([rb.ok, rb.code], [false, 'EPERM'], 'second open: default response (deny)');
  t.ok(rb.ms < 1000, `answered at once (${rb.ms.toFixed(0)} ms), not at the 20 s deadline`);
  release();
  t.ok((await first.done).ok, 'first open: answered by JS after it resumed');
  const s = await l.stats();
  t.equal(s.answeredNatively.tableFull, 1);
  t.equal(s.answeredNatively.timeout, 0);
  t.equal(s.answeredByJs.allow, 1);
  t.equal(s.pending.maxDepth, 1, 'never more than the capacity pending');
  t.equal(s.pending.depth, 0);
});

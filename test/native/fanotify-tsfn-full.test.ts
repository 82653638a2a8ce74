// The hand-off to JS is bounded too: when the ThreadSafeFunction queue is full (JS stalled),
// the reader thread answers the new event with the default response at once (tsfnFull) —
// it never blocks and never leaves the event unanswered. The queued one still reaches JS.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, opener, until, blockedOnFanotify } from './fanotify-harness.js';

t.test('JS queue full → default response at once', { skip }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'clean a');
  const b = put(path.join(dir, 'b.txt'), 'clean b');
  const l = await startListener(t, { mount: dir, jsQueueBatches: 1, timeoutMs: 20000, defaultResponse: 'deny' });
  const release = await l.stall();
  const first = opener(a);
  // Up to the opener's own limit: on a loaded machine node itself can take seconds to start.
  t.ok(await until(() => blockedOnFanotify(first.proc.pid), 14_000), 'first event queued for the stalled JS thread');
  const rb = await opener(b).done;
  t.same([rb.ok, rb.code], [false, 'EPERM'], 'second open: no room in the JS queue → default (deny)');
  t.ok(rb.ms < 1000, `answered at once (${rb.ms.toFixed(0)} ms)`);
  release();
  t.ok((await first.done).ok, 'first open: its batch reached JS after the stall and was allowed');
  const s = await l.stats();
  t.same([s.answeredNatively.tsfnFull, s.answeredNatively.timeout, s.answeredByJs.allow], [1, 0, 1]);
});

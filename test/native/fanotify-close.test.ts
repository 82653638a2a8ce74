// close(): the fanotify fd goes first, so an open waiting for a verdict completes; a second
// close() is a no-op; a verdict after close is refused; monitoring has stopped.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, opener, openAs, until } from './fanotify-harness.js';

t.test('close twice with an event pending', { skip }, async (t) => {
  const dir = tmpfs(t);
  const good = put(path.join(dir, 'good.txt'), 'clean');
  const bad = put(path.join(dir, 'bad.txt'), 'WDAV-TEST-BAD');
  const l = await startListener(t, { mount: dir, timeoutMs: 60000 });
  await l.request('hold', { on: true });
  const pending = opener(good);
  await until(() => l.events.length === 1);
  const res = await l.request<{ closed: boolean; lateResponses: boolean[]; stats: { answeredNatively: { closed: number } } }>('close');
  t.equal(res.closed, true);
  t.same(res.lateResponses, [false], 'respond after close answers nothing');
  t.equal(res.stats.answeredNatively.closed, 1, 'the pending event was released by close');
  const r = await pending.done;
  t.ok(r.ok, 'the waiting open completed (kernel allows on release)');
  t.ok((await openAs(bad)).ok, 'no longer monitored after close');
  t.equal((await l.stats()).answeredNatively.closed, 1, 'stats still readable after close');
});

// flushIgnoreMarks(): clean-cache marks are dropped (events come back; mount marks stay) and
// the epoch moves on, so a verdict computed before the flush cannot add a mark afterwards.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, opener, until } from './fanotify-harness.js';

t.test('flush brings events back and refuses stale-epoch marks', { skip }, async (t) => {
  const dir = tmpfs(t);
  const file = put(path.join(dir, 'doc.txt'), 'clean');
  const other = put(path.join(dir, 'other.txt'), 'clean too');
  const l = await startListener(t, { mount: dir, ignoreMark: true });

  await openAs(file);
  await openAs(file);
  t.equal((await l.stats()).events.open, 1, 'cached after the first verdict');
  t.equal(await l.request('flush'), 1, 'flush returns the new epoch');
  t.ok((await openAs(file)).ok);
  let s = await l.stats();
  t.equal(s.events.open, 2, 'event came back after the flush');
  t.equal(s.ignoreMarks.flushes, 1);

  // A scan that started before a flush: hold the event, flush, then answer with its old epoch.
  await l.request('hold', { on: true });
  const pending = opener(other);
  await until(() => l.events.some((e) => e.verdict === 'held'));
  t.equal(await l.request('flush'), 2);
  t.same(await l.request('release'), [true], 'the held event is answered (allowed)');
  t.ok((await pending.done).ok);
  await l.request('hold', { on: false });
  s = await l.stats();
  t.equal(s.ignoreMarks.skippedStaleEpoch, 1, 'no mark from a pre-flush verdict');
  await openAs(other);
  t.equal((await l.stats()).events.open, s.events.open + 1, 'so the next open is scanned again');
});

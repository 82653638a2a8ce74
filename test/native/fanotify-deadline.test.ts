// A stalled JS event loop (Atomics.wait in the listener) must not block openers: the reader
// thread answers at the deadline with the configured default, and the late JS verdict is
// refused (respond → false) without writing a second answer. The counters (timeout, late)
// prove who answered; wall-clock bounds stay loose so a loaded CI machine cannot flake them.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, until } from './fanotify-harness.js';

const TIMEOUT = 300;

t.test('deadline → default allow', { skip }, async (t) => {
  const dir = tmpfs(t);
  const bad = put(path.join(dir, 'bad.txt'), 'WDAV-TEST-BAD');
  const l = await startListener(t, { mount: dir, timeoutMs: TIMEOUT });
  const release = await l.stall();
  const r = await openAs(bad);
  release();
  t.ok(r.ok, 'the open completed although JS never answered in time');
  t.ok(r.ms >= TIMEOUT * 0.8, `blocked until the deadline (${r.ms.toFixed(0)} ms)`);
  const s = await until(async () => { const v = await l.stats(); return v.answeredByJs.late === 1 && v; }, 8000);
  t.ok(s, 'JS woke up and its late verdict was refused');
  if (s) t.equal(s.answeredNatively.timeout, 1);
  t.same(l.events.map((e) => [e.verdict, e.responded]), [['deny', false]], 'late deny did not reach the kernel');
});

t.test('deadline → default deny when configured', { skip }, async (t) => {
  const dir = tmpfs(t);
  const good = put(path.join(dir, 'good.txt'), 'clean');
  const l = await startListener(t, { mount: dir, timeoutMs: TIMEOUT, defaultResponse: 'deny' });
  const release = await l.stall();
  const r = await openAs(good);
  release();
  t.same([r.ok, r.code], [false, 'EPERM'], 'default deny applied at the deadline');
  t.ok(r.ms >= TIMEOUT * 0.8, `after ${r.ms.toFixed(0)} ms`);
  const s = await until(async () => { const v = await l.stats(); return v.answeredByJs.late === 1 && v; }, 8000);
  t.ok(s, 'late allow refused');
  if (s) t.equal(s.answeredNatively.timeout, 1);
});

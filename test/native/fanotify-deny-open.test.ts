// A file the JS policy denies cannot be opened by another user (EPERM); a clean one can, and
// the policy read the content through the event fd (it has no path access of its own).
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs } from './fanotify-harness.js';

t.test('deny on open → EPERM for the opener, allow otherwise', { skip }, async (t) => {
  const dir = tmpfs(t);
  const bad = put(path.join(dir, 'bad.txt'), 'header WDAV-TEST-BAD trailer');
  const good = put(path.join(dir, 'good.txt'), 'just text');
  const l = await startListener(t, { mount: dir });

  const denied = await openAs(bad);
  t.same([denied.ok, denied.code], [false, 'EPERM'], 'denied file: open fails with EPERM');
  const allowed = await openAs(good);
  t.same([allowed.ok, allowed.data], [true, 'just text'], 'clean file: opened and read');

  const s = await l.stats();
  t.equal(s.answeredByJs.deny, 1);
  t.equal(s.answeredByJs.allow, 1);
  t.equal(s.events.open, 2);
  t.equal(s.pending.depth, 0, 'nothing left pending');
  const seen = l.events.filter((e) => e.kind === 'open').map((e) => [path.basename(e.path), e.verdict, e.responded]);
  t.same(seen, [['bad.txt', 'deny', true], ['good.txt', 'allow', true]]);
  t.ok(l.events.every((e) => e.pid !== l.pid), 'events come from the opener, not the listener');
});

t.test('the same with a filesystem mark (FAN_MARK_FILESYSTEM)', { skip }, async (t) => {
  const dir = tmpfs(t);
  const bad = put(path.join(dir, 'bad.txt'), 'WDAV-TEST-BAD');
  const good = put(path.join(dir, 'good.txt'), 'fine');
  const l = await startListener(t, { mount: dir, filesystemMark: true });
  t.equal((await openAs(bad)).code, 'EPERM');
  t.ok((await openAs(good)).ok);
  t.same([(await l.stats()).answeredByJs.deny, (await l.stats()).answeredByJs.allow], [1, 1]);
});

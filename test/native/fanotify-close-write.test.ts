// FAN_CLOSE_WRITE reaches JS with an fd through which the new content is read (after-write
// scans); with no room (closeWriteCapacity 0) it is dropped and counted instead.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, startListener, openAs, until } from './fanotify-harness.js';

t.test('close_write delivered with a readable fd', { skip }, async (t) => {
  const dir = tmpfs(t);
  const l = await startListener(t, { mount: dir });
  const file = path.join(dir, 'new.txt');
  t.ok((await openAs(file, { mode: 'write', data: 'fresh content' })).ok, 'another user writes a new file');
  await until(() => l.events.some((e) => e.kind === 'close_write'));
  const cw = l.events.find((e) => e.kind === 'close_write');
  t.same([cw?.path, cw?.content, cw?.size], [file, 'fresh content', 13]);
  const s = await l.stats();
  t.equal(s.closeWrite.delivered, 1);
  t.equal(s.closeWrite.inFlight, 0);
});

t.test('close_write dropped and counted when JS has no room', { skip }, async (t) => {
  const dir = tmpfs(t);
  const l = await startListener(t, { mount: dir, closeWriteCapacity: 0 });
  t.ok((await openAs(path.join(dir, 'x.txt'), { mode: 'write', data: 'x' })).ok);
  const s = await until(async () => { const v = await l.stats(); return v.events.closeWrite === 1 && v; });
  t.ok(s);
  if (s) t.same([s.closeWrite.dropped, s.closeWrite.delivered], [1, 0]);
  t.notOk(l.events.some((e) => e.kind === 'close_write'));
});

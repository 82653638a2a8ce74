// markClean(): a clean verdict reached after a write (through the close_write event's fd)
// becomes a kernel ignore mark, so the first open after the write causes no event at all. The
// rules of respond()'s marks hold: a stale epoch, a changed file or bad arguments add none,
// and a later write clears it.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, until } from './fanotify-harness.js';

t.test('the after-write mark silences the next open until the file changes', { skip }, async (t) => {
  const dir = tmpfs(t);
  const file = path.join(dir, 'new.txt');
  const l = await startListener(t, { mount: dir, ignoreMark: true, markCleanOnWrite: true });
  t.ok((await openAs(file, { mode: 'write', data: 'clean content' })).ok);
  await until(() => l.events.some((e) => e.kind === 'close_write'));
  t.equal(l.events.find((e) => e.kind === 'close_write')?.marked, 'added');
  const opens = (await l.stats()).events.open;
  t.ok((await openAs(file)).ok, 'the written file opens');
  let s = await l.stats();
  t.equal(s.events.open, opens, 'without any event');
  t.equal(s.ignoreMarks.afterWrite, 1);

  t.ok((await openAs(file, { mode: 'append', data: ' WDAV-TEST-BAD' })).ok);
  await until(() => l.events.filter((e) => e.kind === 'close_write').length === 2);
  const r = await openAs(file);
  t.same([r.ok, r.code], [false, 'EPERM'], 'after another write the open is scanned and denied');
  s = await l.stats();
  t.equal(s.ignoreMarks.afterWrite, 1, 'the infected version got no mark');
});

t.test('no mark for a stale epoch or a changed file; bad arguments are refused', { skip }, async (t) => {
  const dir = tmpfs(t);
  const file = put(path.join(dir, 'doc.txt'), 'clean');
  const l = await startListener(t, { mount: dir });
  t.equal(await l.request('markClean', { path: file, sizeDelta: 1 }), 'changed', 'identity differs from the file');
  const epoch = await l.request<number>('flush');
  t.equal(await l.request('markClean', { path: file, epoch: epoch - 1 }), 'stale', 'a verdict from before the flush');
  t.equal((await l.stats()).ignoreMarks.added, 0);
  // (the listener's own opens for markClean are events too, answered natively: count JS's)
  const jsOpens = (): number => l.events.filter((e) => e.kind === 'open').length;
  t.ok((await openAs(file)).ok);
  t.equal(jsOpens(), 1, 'so the open still reached JS');
  t.equal(await l.request('markClean', { path: file }), 'added');
  t.ok((await openAs(file)).ok);
  t.equal(jsOpens(), 1, 'a current mark silences the next open');
  await t.rejects(l.request('markCleanBad', { args: [-1, {}, 0] }), /markClean\(fd, file, epoch\)/);
  await t.rejects(l.request('markCleanBad', { args: [3, { dev: 1 }, 0] }), /markClean\(fd, file, epoch\)/);
});

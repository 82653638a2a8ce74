// The listener's process runs out of file descriptors (it takes every free one itself). The
// kernel cannot give an event an fd then, and denies the event itself inside read(): a clean
// file would fail to open with EPERM. The reader keeps a reserve of fds for this: it releases
// them, answers events on its own with the default response (allow here) without handing them
// to JS, counts them, and takes its reserve back once fds are free again — then JS decides.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, until } from './fanotify-harness.js';

t.test('out of fds: opens answered natively with the default response, counted; JS again afterwards', { skip }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'clean a');
  const bad = put(path.join(dir, 'bad.txt'), 'WDAV-TEST-BAD');
  const l = await startListener(t, { mount: dir, defaultResponse: 'allow', timeoutMs: 20000 });
  t.ok(await l.request<number>('exhaustFds') > 0, 'the listener holds every free fd');

  const ra = await openAs(a);
  t.match(ra, { ok: true, data: 'clean a' }, 'a clean file opens while the listener has no fd to spare');
  t.ok(ra.ms < 2000, `answered at once (${ra.ms.toFixed(0)} ms), not at the 20 s deadline`);
  t.match(await openAs(bad), { ok: true }, 'the default response (allow) answers every event meanwhile');
  const short = await l.stats();
  t.ok(short.answeredNatively.noFds >= 2, `counted as answeredNatively.noFds (${short.answeredNatively.noFds})`);
  t.equal(short.reader.shortOfFds, 1, 'the reader says it is short of fds');
  t.ok(short.reader.fdShortages >= 1, 'the shortage is counted');
  t.equal(short.reader.readNoFds, 0, 'the reserve went back before a read could fail: the kernel denied nothing');
  t.equal(l.events.length, 0, 'nothing was handed to JS');

  t.ok(await l.request<number>('releaseFds') > 0);
  t.ok(await until(async () => (await l.stats()).reader.shortOfFds === 0, 3000), 'the reserve is taken back once fds are free');
  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'JS verdicts again: the bad file is denied');
  const after = await l.stats();
  t.ok(after.reader.fdReserveRestored >= 1, 'the recovery is counted');
  t.equal(after.answeredByJs.deny, 1);
});

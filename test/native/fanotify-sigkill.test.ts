// The listener killed with SIGKILL while an open waits for its verdict: the kernel releases
// the group with the process and the blocked opener completes — nothing stays blocked.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, opener, sleep } from './fanotify-harness.js';

t.test('SIGKILL with pending opens → openers complete', { skip }, async (t) => {
  const dir = tmpfs(t);
  const good = put(path.join(dir, 'good.txt'), 'clean');
  const l = await startListener(t, { mount: dir, timeoutMs: 60000 });
  await l.request('stall', { ms: 30000 });
  const a = opener(good);
  const b = opener(good);
  await sleep(700);
  t.equal(a.proc.exitCode, null, 'opener A is blocked on the permission event');
  t.equal(b.proc.exitCode, null, 'opener B is blocked too');
  const killedAt = Date.now();
  l.kill();
  const [ra, rb] = await Promise.all([a.done, b.done]);
  t.ok(ra.ok && rb.ok, 'both opens succeeded once the listener died');
  t.ok(Date.now() - killedAt < 3000, `completed ${Date.now() - killedAt} ms after the kill`);
});

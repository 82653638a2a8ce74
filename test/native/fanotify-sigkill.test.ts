// The listener killed with SIGKILL while opens wait for its verdict: the kernel releases the
// group with the process and the blocked openers complete — nothing stays blocked.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, opener, until, blockedOnFanotify } from './fanotify-harness.js';

t.test('SIGKILL with pending opens → openers complete', { skip }, async (t) => {
  const dir = tmpfs(t);
  const good = put(path.join(dir, 'good.txt'), 'clean');
  const l = await startListener(t, { mount: dir, timeoutMs: 60000 });
  await l.stall();
  const a = opener(good);
  const b = opener(good);
  t.ok(await until(() => blockedOnFanotify(a.proc.pid) && blockedOnFanotify(b.proc.pid), 14_000), 'both openers wait for a verdict');
  const killedAt = Date.now();
  l.kill();
  const [ra, rb] = await Promise.all([a.done, b.done]);
  t.ok(ra.ok && rb.ok, 'both opens succeeded once the listener died');
  t.ok(Date.now() - killedAt < 3000, `completed ${Date.now() - killedAt} ms after the kill`);
});

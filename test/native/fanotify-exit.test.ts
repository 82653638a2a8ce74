// process.exit() without close(), while an open waits for a verdict: the process exits
// cleanly (no abort from a live reader thread) and the opener is released by the kernel.
import t from 'tap';
import path from 'node:path';
import { once } from 'node:events';
import { skip, tmpfs, put, startListener, opener, until } from './fanotify-harness.js';

t.test('exit without close → clean exit, opener released', { skip }, async (t) => {
  const dir = tmpfs(t);
  const good = put(path.join(dir, 'good.txt'), 'clean');
  const l = await startListener(t, { mount: dir, timeoutMs: 60000 });
  await l.request('hold', { on: true });
  const pending = opener(good);
  await until(() => l.events.length === 1);
  const exited = once(l.proc, 'exit');
  await l.request('exit');
  const [code, signal] = await exited;
  t.same([code, signal], [0, null], 'listener exited with status 0, no signal');
  t.ok((await pending.done).ok, 'the waiting open completed');
});

// Mounts coming and going while the JavaScript thread is slow never take a permission event's
// place in the hand-off queue: with room for one event batch, a stalled JS thread and a dozen
// mount changes (each noticed by the reader), the first open still waits in that one place and
// is allowed after the stall; only the second open gets the default answer (tsfnFull), and JS
// hears of the mount changes once, not once per change.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { skip, tmpfs, put, startListener, opener, until, blockedOnFanotify } from './fanotify-harness.js';

t.test('mount changes during a stall leave the event slot free', { skip }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'clean a');
  const b = put(path.join(dir, 'b.txt'), 'clean b');
  const l = await startListener(t, { mount: dir, jsQueueBatches: 1, timeoutMs: 20000, defaultResponse: 'deny' });
  const release = await l.stall();
  const churn = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-mount-churn-'));
  t.teardown(() => fs.rmSync(churn, { recursive: true, force: true }));
  for (let i = 0; i < 12; i++) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', churn]);
    execFileSync('umount', [churn]);
  }
  const first = opener(a);
  t.ok(await until(() => blockedOnFanotify(first.proc.pid), 14_000), 'first open waits in the one event slot');
  const rb = await opener(b).done;
  t.same([rb.ok, rb.code], [false, 'EPERM'], 'second open: no room → default (deny)');
  release();
  t.ok((await first.done).ok, 'first open allowed after the stall');
  const s = await l.stats();
  t.same([s.answeredNatively.tsfnFull, s.answeredByJs.allow], [1, 1], 'one default answer, one JS answer');
  t.ok(s.reader.mountChanges >= 1, `the reader noticed the mount changes (${s.reader.mountChanges})`);
  await until(() => l.mountNotices > 0, 5000);
  t.ok(l.mountNotices >= 1 && l.mountNotices < 12, `JS heard of them, not once per change (${l.mountNotices} notices for 24 changes)`);
});

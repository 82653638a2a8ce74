// The reader thread watches /proc/self/mountinfo and tells JS when the mount table changes,
// so the backend can mark new mounts that fall in scope.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { skip, tmpfs, startListener, until } from './fanotify-harness.js';

t.test('mount change → onMountsChanged', { skip }, async (t) => {
  const dir = tmpfs(t);
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  const l = await startListener(t, { mount: dir });
  t.equal(l.mountNotices, 0);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', sub]);
  t.teardown(() => { try { execFileSync('umount', ['-l', sub]); } catch { /* gone */ } });
  t.ok(await until(() => l.mountNotices >= 1), 'JS was told');
  t.ok((await l.stats()).reader.mountChanges >= 1);
});

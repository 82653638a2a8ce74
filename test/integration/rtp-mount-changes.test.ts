// fanotify RTP follows mount changes: a filesystem mounted below an RTP path after the daemon
// started is marked (listed in --details features, EICAR on it denied), and dropped from the
// list once unmounted.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { eicar, health, openAs, put, skipFanotify, startRtpDaemon, threats, tmpfs, until } from '../helpers/rtp.js';

t.test('mounts appearing and vanishing under an RTP path are marked and unmarked', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const source = tmpfs(t);
  const bad = put(path.join(source, 'eicar.com'), eicar().toString('latin1'));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const mounts = async () => (await health(d)).features.real_time_protection_monitored_mounts as string[];
  t.same(await mounts(), [`${dir} (tmpfs)`]);

  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  execFileSync('mount', ['--bind', source, sub]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', sub]);
    } catch {
      // unmounted by the test
    }
  });
  t.ok(await until(async () => (await mounts()).includes(`${sub} (tmpfs)`), 10000), 'the new mount is marked');
  const onSub = path.join(sub, path.basename(bad));
  t.match(await openAs(onSub), { ok: false, code: 'EPERM' }, 'EICAR on it is denied');
  // Quarantine reads through the event's fd; unmount once that is done (the fd keeps it busy).
  t.ok(await until(async () => (await threats(d)).some((x) => x.path === onSub && x.status === 'quarantined'), 10000), 'and quarantined');

  execFileSync('umount', [sub]);
  t.ok(await until(async () => !(await mounts()).includes(`${sub} (tmpfs)`), 10000), 'dropped once unmounted');
  t.ok((await health(d)).features.real_time_protection_native.reader.mountChanges >= 2, 'mount changes were seen');
});

// Known limit (docs/real-time-protection.md, Limits): a daemon stopped with SIGSTOP holds the
// opens it was asked about — its native reader is stopped too, so even the deadline that answers
// for a stalled JavaScript thread cannot fire. What the documentation promises instead is
// checked here: the open waits past the deadline while the daemon is stopped; SIGCONT releases
// it with a verdict; SIGKILL of a stopped daemon (what systemd's watchdog ends with) makes the
// kernel allow what was pending at once.
import t from 'tap';
import path from 'node:path';
import { blockedOnFanotify, opener, put, skipFanotify, sleep, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';

t.test('SIGSTOP holds pending opens past the deadline; SIGCONT and SIGKILL release them', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'A');
  const b = put(path.join(dir, 'b.txt'), 'B');
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir], managed: { wdavdaemon: { rtpTimeoutMs: 300 } } });
  const pid = d.proc.pid!;
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  });

  process.kill(pid, 'SIGSTOP');
  const oa = opener(a);
  t.ok(await until(() => blockedOnFanotify(oa.proc.pid), 14_000), 'the open waits for the stopped daemon');
  await sleep(1500);
  t.ok(blockedOnFanotify(oa.proc.pid), 'still waiting five deadlines later: nobody can answer for a stopped reader');
  process.kill(pid, 'SIGCONT');
  t.match(await oa.done, { ok: true, data: 'A' }, 'SIGCONT: answered');

  process.kill(pid, 'SIGSTOP');
  const ob = opener(b);
  t.ok(await until(() => blockedOnFanotify(ob.proc.pid), 14_000), 'stopped again: the next open waits');
  const killedAt = Date.now();
  await d.kill();
  t.match(await ob.done, { ok: true, data: 'B' }, 'SIGKILL of the stopped daemon: the kernel allows what was pending');
  t.ok(Date.now() - killedAt < 3000, `released ${Date.now() - killedAt} ms after the kill`);
});

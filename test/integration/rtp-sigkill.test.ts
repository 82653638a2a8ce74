// fanotify RTP: the daemon killed with SIGKILL while opens wait for its verdict (JS frozen by the
// test-only hook, deadline 60 s) — the kernel releases the group with the process, and every
// waiting open completes at once; no process stays blocked.
import t from 'tap';
import path from 'node:path';
import { blockedOnFanotify, opener, put, skipFanotify, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';

t.test('SIGKILL while opens are pending → nobody stays blocked', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const a = put(path.join(dir, 'a.txt'), 'A');
  const b = put(path.join(dir, 'b.txt'), 'B');
  const d = await startRtpDaemon(t, {
    backend: 'fanotify',
    paths: [dir],
    managed: { wdavdaemon: { rtpTimeoutMs: 60000 } },
    // Every event through JavaScript (what this test is about): native verdicts would allow
    // these clean files without it.
    env: { WDAV_RTP_NATIVE_VERDICTS: '0', WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '30000' },
  });
  d.proc.kill('SIGUSR2');
  await d.waitForLog((r) => /test hook: stalling/.test(r.msg));
  const oa = opener(a);
  const ob = opener(b);
  t.ok(await until(() => blockedOnFanotify(oa.proc.pid) && blockedOnFanotify(ob.proc.pid), 14_000), 'both openers wait for a verdict');
  const killedAt = Date.now();
  await d.kill();
  const [ra, rb] = await Promise.all([oa.done, ob.done]);
  t.match(ra, { ok: true, data: 'A' });
  t.match(rb, { ok: true, data: 'B' });
  t.ok(Date.now() - killedAt < 3000, `completed ${Date.now() - killedAt} ms after the kill`);
});

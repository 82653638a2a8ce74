// fanotify RTP: with the daemon's JavaScript thread frozen (test-only hook: WDAV_TEST_HOOKS=1,
// SIGUSR2), opens still complete within the verdict deadline — the native reader answers them
// with the default response and counts them — and the daemon works normally afterwards.
import t from 'tap';
import path from 'node:path';
import { health, openAs, put, skipFanotify, startRtpDaemon, tmpfs } from '../helpers/rtp.js';

t.test('stalled JS event loop → opens complete within the deadline', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const file = put(path.join(dir, 'data.txt'), 'payload');
  const d = await startRtpDaemon(t, {
    backend: 'fanotify',
    paths: [dir],
    managed: { wdavdaemon: { rtpTimeoutMs: 500 } },
    // Every event through JavaScript (what this test is about): native verdicts would allow
    // these clean files without it.
    env: { WDAV_RTP_NATIVE_VERDICTS: '0', WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '10000' },
  });
  d.proc.kill('SIGUSR2');
  await d.waitForLog((r) => /test hook: stalling/.test(r.msg));
  const r = await openAs(file);
  const resumedYet = d.logs.some((rec) => /test hook: JavaScript thread resumed/.test(rec.msg));
  t.match(r, { ok: true, data: 'payload' }, 'open completed while JS was frozen');
  t.notOk(resumedYet, 'before the daemon\'s JavaScript thread came back');
  t.ok(r.ms < 5000, `near the 500 ms deadline, far from the 10 s stall (${Math.round(r.ms)} ms)`);
  await d.waitForLog((rec) => /test hook: JavaScript thread resumed/.test(rec.msg), 15000);
  const h = await health(d);
  t.ok(h.features.real_time_protection_native.answeredNatively.timeout >= 1, 'answered natively at the deadline');
  t.equal(h.fields.real_time_protection_available, true, 'RTP still available after the stall');
  t.match(await openAs(file), { ok: true }, 'and opens are served by JS again');
  await d.waitForLog((rec) => rec.msg.includes('answered events without a verdict'), 15000);
  t.pass('the deadline answers were logged as a warning');
});

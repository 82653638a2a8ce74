// chokidar RTP never blocks anyone: with the daemon's JS thread frozen (test-only hook) files in
// the watched directory are written and read at full speed, and a threat written meanwhile is
// remediated once the daemon resumes; SIGKILL leaves nothing behind that could block.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, openAs, skipRoot, startRtpDaemon, threats, until, watchedDir } from '../helpers/rtp.js';

t.test('chokidar: a frozen or killed daemon blocks nothing; remediation catches up', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  const clean = path.join(dir, 'clean.txt');
  fs.writeFileSync(clean, 'hello', { mode: 0o644 });
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir], env: { WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '3000' } });
  d.proc.kill('SIGUSR2');
  await d.waitForLog((r) => /test hook: stalling/.test(r.msg));
  const r = await openAs(clean);
  t.match(r, { ok: true, data: 'hello' });
  t.ok(r.ms < 500, `read while frozen in ${Math.round(r.ms)} ms`);
  const bad = path.join(dir, 'late.com');
  fs.writeFileSync(bad, eicar());
  t.ok(await until(async () => (await threats(d)).some((x) => x.path === bad && x.status === 'quarantined'), 15000), 'remediated after the daemon resumed');
  await d.kill();
  const after = await openAs(clean);
  t.match(after, { ok: true, data: 'hello' }, 'after SIGKILL everything still opens');
});

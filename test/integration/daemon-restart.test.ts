// A second daemon on the same socket refuses to start with a clear error; after SIGKILL the
// stale socket file does not block a restart.
import t from 'tap';
import fs from 'node:fs';
import { TestDaemon } from '../helpers/daemon.js';

t.test('second daemon refuses, stale socket after SIGKILL does not', async (t) => {
  const first = await TestDaemon.start(t);
  const second = new TestDaemon(first.dir, first.socket, `${first.dir}/state2`, first.managedFile, first.customDefs);
  t.teardown(() => second.kill());
  second.spawn();
  await second.waitExit();
  t.equal(second.exitCode, 1, 'second daemon exits non-zero');
  t.match(second.stderr, /another wdavdaemon is already running on .*mdatp\.sock/);
  t.equal((await first.api('GET', '/v1/health')).status, 200, 'the first one is untouched');

  await first.kill();
  t.ok(fs.lstatSync(first.socket).isSocket(), 'SIGKILL leaves the socket file behind');
  first.spawn();
  await first.ready();
  await first.waitForLog((r) => r.msg === 'removing stale socket left by a previous daemon');
  t.equal((await first.mdatp(['health', '--field', 'healthy'])).stdout.trim(), 'true', 'restart works');
});

t.test('a non-socket file at the socket path is never replaced', async (t) => {
  const d = await TestDaemon.start(t, { waitReady: false });
  await d.kill();
  fs.mkdirSync(`${d.dir}/run`, { recursive: true });
  try { fs.unlinkSync(d.socket); } catch { /* not created yet */ }
  fs.writeFileSync(d.socket, 'precious');
  d.spawn();
  await d.waitExit();
  t.equal(d.exitCode, 1);
  t.match(d.stderr, /exists and is not a socket/);
  t.equal(fs.readFileSync(d.socket, 'utf8'), 'precious');
});

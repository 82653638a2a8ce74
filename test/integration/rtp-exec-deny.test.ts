// fanotify RTP: an infected ELF executable (a custom body signature matches bytes inside it)
// cannot be executed — execve fails with EPERM — while a clean build of the same program runs.
import t from 'tap';
import path from 'node:path';
import { MARKER, MARKER_NAME, buildProgram, execAs, skipFanotify, startRtpDaemon, threats, tmpfs, until } from '../helpers/rtp.js';

t.test('infected executable → exec fails with EPERM; clean one runs', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const clean = path.join(dir, 'clean-tool');
  const infected = path.join(dir, 'infected-tool');
  buildProgram(clean);
  buildProgram(infected, MARKER);
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });

  t.match(await execAs(clean), { ok: true, stdout: 'ran\n' }, 'clean program runs');
  const r = await execAs(infected);
  t.equal(r.ok, false, 'infected program did not run');
  t.equal(r.code, 'EPERM', 'execve failed with EPERM');
  t.notMatch(r.stdout, /ran/);
  const found = await until(async () => (await threats(d)).find((x) => x.path === infected), 10000);
  t.match(found, { name: MARKER_NAME, source: 'real_time' }, 'threat recorded');
});

// RTP backend selection is never silent: a daemon without CAP_SYS_ADMIN started with
// --rtp-backend auto cannot open a fanotify group, falls back to chokidar (inotify), logs why,
// and `mdatp health` shows the subsystem and the reason; it still remediates after writes.
import t from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DAEMON_BIN, MDATP_BIN, foreignNode, foreignUserEnv, isRoot } from '../helpers/daemon.js';
import { eicar, until } from '../helpers/rtp.js';

const uid = (() => {
  try {
    return Number(execFileSync('id', ['-u', 'wdavtest-other'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
})();

t.test('auto without CAP_SYS_ADMIN → chokidar, with the reason', { skip: !isRoot ? 'needs root to switch to a test user' : uid === null ? 'needs user wdavtest-other (.ci/run creates it)' : false }, async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-rtpauto-'));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const watched = path.join(home, 'watched');
  fs.mkdirSync(watched);
  execFileSync('chown', ['-R', `${uid}:${uid}`, home]);
  fs.chmodSync(home, 0o755);
  const env = { ...foreignUserEnv(), HOME: home, USER: 'wdavtest-other' } as NodeJS.ProcessEnv;
  for (const k of Object.keys(env)) if (k.startsWith('WDAV_') || k === 'MDATP_SOCKET') delete env[k];
  const sock = path.join(home, 'run', 'mdatp.sock');
  const [cmd, args] = foreignNode([DAEMON_BIN, '--socket', sock, '--state-dir', path.join(home, 'state'), '--custom-definitions', path.join(home, 'defs'), '--rtp-backend', 'auto', '--rtp-path', watched]);
  const d = spawn(cmd, args, { uid: uid!, gid: uid!, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  d.stdout.on('data', (c) => (out += c));
  d.stderr.on('data', (c) => (out += c));
  t.teardown(() => d.kill('SIGKILL'));
  t.ok(await until(() => out.includes('wdavdaemon is ready'), 30000), 'started');
  const rec = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((r) => /real-time protection backend/.test(r.msg));
  t.match(rec, { requested: 'auto', subsystem: 'inotify', reason: /fanotify is unavailable.*using chokidar/ }, 'the choice and its reason are logged');

  const mdatp = (a: string[]) =>
    new Promise<string>((resolve) => {
      const [c, argv] = foreignNode([MDATP_BIN, '--socket', sock, ...a]);
      const p = spawn(c, argv, { uid: uid!, gid: uid!, env });
      let s = '';
      p.stdout.on('data', (x) => (s += x));
      p.on('close', () => resolve(s));
    });
  const h = JSON.parse(await mdatp(['health', '--output', 'json']));
  t.match(h, { real_time_protection_subsystem: 'inotify', real_time_protection_available: true, real_time_protection_subsystem_reason: /fanotify is unavailable/ });

  const bad = path.join(watched, 'eicar.com');
  fs.writeFileSync(bad, eicar());
  fs.chownSync(bad, uid!, uid!);
  t.ok(await until(() => !fs.existsSync(bad), 15000), 'remediated after the write');
  const list = JSON.parse(await mdatp(['threat', 'list', '--output', 'json']));
  t.match(list, [{ path: bad, source: 'on_write', status: 'quarantined' }]);
});

// `npm start` as a plain user: the daemon starts on its embedded defaults with per-user paths
// (socket and state under ~/.local/state/wdavdaemon) and serves mdatp; that user is admin of
// their own daemon.
import t from 'tap';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DAEMON_BIN, MDATP_BIN, foreignNode, foreignUserEnv, isRoot } from '../helpers/daemon.js';

const uid = (() => {
  try {
    return Number(execFileSync('id', ['-u', 'wdavtest-other'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
})();

t.test('a non-root daemon on default paths', { skip: !isRoot ? 'needs root to switch to a test user' : uid === null ? 'needs user wdavtest-other (.ci/run creates it)' : false }, async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-home-'));
  fs.chmodSync(home, 0o755);
  fs.chownSync(home, uid!, uid!);
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const env = { ...foreignUserEnv(), HOME: home, USER: 'wdavtest-other' } as NodeJS.ProcessEnv;
  delete env.XDG_RUNTIME_DIR;
  for (const k of Object.keys(env)) if (k.startsWith('WDAV_') || k === 'MDATP_SOCKET') delete env[k];
  const [cmd, args] = foreignNode([DAEMON_BIN, '--rtp-backend', 'none']);
  const d = spawn(cmd, args, { uid: uid!, gid: uid!, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  d.stdout.on('data', (c) => (out += c));
  d.stderr.on('data', (c) => (out += c));
  t.teardown(() => {
    d.kill('SIGKILL');
  });
  for (let i = 0; i < 300 && !out.includes('wdavdaemon is ready'); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(out, /wdavdaemon is ready/, 'started');
  const sock = path.join(home, '.local', 'state', 'wdavdaemon', 'mdatp.sock');
  t.ok(fs.existsSync(sock), 'socket under ~/.local/state/wdavdaemon');
  t.ok(fs.existsSync(path.join(home, '.local', 'state', 'wdavdaemon', 'wdavdaemon.db')), 'state under ~/.local/state/wdavdaemon');
  const run = (a: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const [c, argv] = foreignNode([MDATP_BIN, ...a]);
      const p = spawn(c, argv, { uid: uid!, gid: uid!, env });
      let stdout = '';
      p.stdout.on('data', (x) => (stdout += x));
      p.on('close', (code) => resolve({ code, stdout }));
    });
  const h = await run(['health', '--output', 'json']);
  t.equal(h.code, 0, 'mdatp finds the per-user socket by default');
  t.equal(JSON.parse(h.stdout).healthy, true);
  const w = await run(['config', 'scan-archives', '--value', 'disabled']);
  t.equal(w.code, 0, "the daemon's own user may change its settings");
  d.kill('SIGTERM');
  const code = await new Promise((r) => d.on('exit', r));
  t.equal(code, 0);
});

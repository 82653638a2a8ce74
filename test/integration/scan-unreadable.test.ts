// Files and directories the daemon cannot read (EACCES: a daemon running as a non-root user,
// root-only files) are counted as errors with their path; the scan still succeeds and finds
// the readable detections.
import t from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DAEMON_BIN, foreignNode, foreignUserEnv, isRoot, runMdatp } from '../helpers/daemon.js';
import { eicar, writeTree } from '../helpers/scan-daemon.js';

const uid = (() => {
  try {
    return Number(execFileSync('id', ['-u', 'wdavtest-other'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
})();

t.test('EACCES counted, scan succeeds', { skip: !isRoot ? 'needs root to run the daemon as another user' : uid === null ? 'needs user wdavtest-other (.ci/run creates it)' : false }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-scan-eacces-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  fs.chownSync(home, uid!, uid!);
  const tree = path.join(dir, 'tree');
  writeTree(tree, { 'readable.com': eicar(), 'secret.com': eicar(), 'closed/inner.com': eicar(), 'plain.txt': 'x' });
  fs.chmodSync(tree, 0o755);
  fs.chmodSync(path.join(tree, 'readable.com'), 0o644);
  fs.chmodSync(path.join(tree, 'plain.txt'), 0o644);
  fs.chmodSync(path.join(tree, 'secret.com'), 0o600);
  fs.chmodSync(path.join(tree, 'closed'), 0o700);

  const env = { ...foreignUserEnv(), HOME: home } as NodeJS.ProcessEnv;
  for (const k of Object.keys(env)) if (k.startsWith('WDAV_') || k === 'MDATP_SOCKET') delete env[k];
  const sock = path.join(home, 'mdatp.sock');
  const [cmd, args] = foreignNode([DAEMON_BIN, '--socket', sock, '--state-dir', path.join(home, 'state'), '--custom-definitions', path.join(home, 'defs'), '--rtp-backend', 'none']);
  const d = spawn(cmd, args, { uid: uid!, gid: uid!, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  d.stdout.on('data', (c) => (out += c));
  d.stderr.on('data', (c) => (out += c));
  t.teardown(() => void d.kill('SIGKILL'));
  for (let i = 0; i < 600 && !out.includes('wdavdaemon is ready'); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(out, /wdavdaemon is ready/);

  const r = await runMdatp(['--socket', sock, 'scan', 'custom', '--path', tree, '--output', 'json'], { uid: uid!, gid: uid!, env });
  t.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.equal(doc.state, 'succeeded');
  t.equal(doc.filesScanned, 2, 'readable.com and plain.txt');
  t.same(doc.threats.map((x: { path: string }) => x.path), [path.join(tree, 'readable.com')]);
  t.equal(doc.details.walk.denied, 2, 'the 0600 file and the 0700 directory');
  t.equal(doc.errors, 2);
  t.same(doc.details.events.map((e: { path: string; code: string }) => `${path.relative(tree, e.path)} ${e.code}`).sort(), ['closed EACCES', 'secret.com EACCES']);
  d.kill('SIGTERM');
  await new Promise((res) => d.on('exit', res));
});

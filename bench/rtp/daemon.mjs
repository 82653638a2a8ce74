// bench/rtp/daemon.mjs — the wdavdaemon the real-time benchmarks measure: started on one tmpfs
// (`--rtp-path`) with a signature directory, asked for its health over the control socket, and
// stopped. Shared by bench/rtp/run.mjs and bench/workload/run.mjs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../common.mjs';

// One connection per request (agent: false): the daemon closes a kept-alive connection after 5 s
// idle, and a benchmark may block in a synchronous measurement for longer than that, so a pooled
// socket would be reused after the daemon's FIN it never read (EPIPE).
export function apiGet(socket, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'GET', path: urlPath, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts the daemon in a fresh `dir` (state, socket) monitoring `mnt` with `sigDir` as custom
 * definitions; resolves once it is ready. `jsVerdicts`: WDAV_RTP_NATIVE_VERDICTS=0.
 */
export async function startRtpDaemon({ dir, sigDir, mnt, jsVerdicts = false, nodeArgs = [] }) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'mdatp.sock');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (jsVerdicts) env.WDAV_RTP_NATIVE_VERDICTS = '0';
  const proc = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin', 'wdavdaemon.js'), '--socket', socket, '--state-dir', path.join(dir, 'state'), '--managed-config', path.join(dir, 'managed.json'),
    '--custom-definitions', sigDir, '--rtp-backend', 'fanotify', '--rtp-path', mnt, '--log-level', 'info'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (c) => (out = (out + c).slice(-20000)));
  proc.stderr.setEncoding('utf8').on('data', (c) => (out = (out + c).slice(-20000)));
  const t0 = Date.now();
  while (!out.includes('wdavdaemon is ready')) {
    if (proc.exitCode !== null) throw new Error(`wdavdaemon exited: ${out.slice(-2000)}`);
    if (Date.now() - t0 > 120_000) {
      proc.kill('SIGKILL');
      throw new Error('wdavdaemon did not become ready');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, socket, pid: proc.pid, startMs: Date.now() - t0 };
}

/** SIGTERM, SIGKILL after 30 s; resolves when it exited. */
export async function stopRtpDaemon(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
}

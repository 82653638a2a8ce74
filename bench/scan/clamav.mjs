// bench/scan/clamav.mjs — the ClamAV side of the scan benchmark: makes sure Debian's clamav
// packages are installed, runs clamscan, and runs a private clamd (own config, socket, pid and
// temp dir, the same signature directory) for clamdscan --multiscan, always stopping it after.
// Never touches a system clamd or /var/lib/clamav.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const PACKAGES = ['clamav', 'clamav-daemon', 'clamdscan'];

export function ensureClamav(log) {
  const missing = PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !/install ok installed/.test(r.stdout);
  });
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  }
  if (r.status !== 0) throw new Error(`cannot install ${missing.join(' ')}`);
}

export function version() {
  return spawnSync('clamscan', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** `path: Name FOUND` lines → Map(path → name without ClamAV's .UNOFFICIAL suffix). */
export function parseFound(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^(.*): (\S+) FOUND$/.exec(line);
    if (m) out.set(m[1], m[2].replace(/\.UNOFFICIAL$/, ''));
  }
  return out;
}

function timed(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    p.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}

/** clamscan, single process, loading the signatures itself as its users run it. Exit 1 = found. */
export async function clamscan(sigDir, target) {
  const r = await timed('clamscan', ['-r', '-i', '--no-summary', `--database=${sigDir}`, target]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`clamscan failed (${r.code}): ${r.stderr.slice(0, 500)}`);
  return { ms: r.ms, found: parseFound(r.stdout) };
}

function ping(socket) {
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    let data = '';
    c.on('connect', () => c.write('zPING\0'));
    c.on('data', (d) => (data += d));
    c.on('close', () => resolve(data.startsWith('PONG')));
    c.on('error', () => resolve(false));
    setTimeout(() => c.destroy(), 2000).unref();
  });
}

export class PrivateClamd {
  constructor(dir, sigDir) {
    this.dir = dir;
    this.sigDir = sigDir;
    this.socket = path.join(dir, 'clamd.sock');
    this.conf = path.join(dir, 'clamd.conf');
    this.proc = null;
  }

  async start(timeoutMs = 180_000) {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
    // Defaults otherwise (MaxThreads 10, ScanArchive yes, MaxFileSize 100M): what a default
    // Debian clamd does, minus the system paths and the clamav user.
    fs.writeFileSync(
      this.conf,
      [
        `LocalSocket ${this.socket}`,
        `DatabaseDirectory ${this.sigDir}`,
        `TemporaryDirectory ${path.join(this.dir, 'tmp')}`,
        `PidFile ${path.join(this.dir, 'clamd.pid')}`,
        `LogFile ${path.join(this.dir, 'clamd.log')}`,
        'Foreground yes',
        'LogTime yes',
      ].join('\n') + '\n',
    );
    this.proc = spawn('clamd', [`--config-file=${this.conf}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (this.proc.exitCode !== null) throw new Error(`clamd exited (${this.proc.exitCode}): ${err.slice(0, 500)}`);
      if (fs.existsSync(this.socket) && (await ping(this.socket))) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('clamd did not answer PING in time');
  }

  /** clamdscan --multiscan: clamd reads the files itself with its thread pool. */
  async multiscan(target) {
    const r = await timed('clamdscan', [`--config-file=${this.conf}`, '--multiscan', '-i', '--no-summary', target]);
    if (r.code !== 0 && r.code !== 1) throw new Error(`clamdscan failed (${r.code}): ${(r.stderr || r.stdout).slice(0, 500)}`);
    return { ms: r.ms, found: parseFound(r.stdout) };
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
}

// bench/rtp/clamonacc.mjs — ClamAV's on-access scanner for the RTP benchmark: a private clamd
// (own config, socket, pid, temp and log files; the benchmark's signature directory) and
// clamonacc with OnAccessPrevention on the benchmark mount, passing file descriptors to clamd
// (--fdpass) as a root clamonacc would. stop() always ends both — clamonacc holds a fanotify
// permission group, and one left behind would slow (or freeze) the machine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

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

async function stopProc(p, name, log) {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => {
    log(`${name} did not stop in 10 s: SIGKILL`);
    p.kill('SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(t);
}

export class ClamOnAccess {
  constructor(dir, sigDir, mount, log) {
    this.dir = dir;
    this.sigDir = sigDir;
    this.mount = mount;
    this.log = log;
    this.socket = path.join(dir, 'clamd.sock');
    this.conf = path.join(dir, 'clamd.conf');
    this.clamd = null;
    this.onacc = null;
    this.onaccLog = path.join(dir, 'clamonacc.log');
  }

  async startClamd(timeoutMs = 180_000) {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
    fs.writeFileSync(
      this.conf,
      [
        `LocalSocket ${this.socket}`,
        `DatabaseDirectory ${this.sigDir}`,
        `TemporaryDirectory ${path.join(this.dir, 'tmp')}`,
        `PidFile ${path.join(this.dir, 'clamd.pid')}`,
        `LogFile ${path.join(this.dir, 'clamd.log')}`,
        'Foreground yes',
        // On-access settings are read by clamonacc from this same file.
        `OnAccessIncludePath ${this.mount}`,
        'OnAccessPrevention yes',
        // clamonacc refuses to start without one; clamd runs as root here, and the measuring
        // process runs as uid 65534, so excluding root avoids scan loops and costs nothing.
        'OnAccessExcludeRootUID yes',
        'OnAccessExtraScanning no',
        'OnAccessMaxFileSize 5M',
      ].join('\n') + '\n',
    );
    this.clamd = spawn('clamd', [`--config-file=${this.conf}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.clamd.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (this.clamd.exitCode !== null) throw new Error(`clamd exited (${this.clamd.exitCode}): ${err.slice(0, 500)}`);
      if (fs.existsSync(this.socket) && (await ping(this.socket))) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('clamd did not answer PING in time');
  }

  /** Starts clamonacc; `ready()` must then confirm it blocks (it marks asynchronously). */
  startOnAccess() {
    this.onacc = spawn('clamonacc', ['--foreground', `--config-file=${this.conf}`, '--fdpass', `--log=${this.onaccLog}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.onaccErr = '';
    this.onacc.stderr.setEncoding('utf8').on('data', (c) => (this.onaccErr += c));
    return this.onacc.pid;
  }

  get running() {
    return this.onacc && this.onacc.exitCode === null && this.onacc.signalCode === null;
  }

  async stop() {
    await stopProc(this.onacc, 'clamonacc', this.log);
    await stopProc(this.clamd, 'clamd', this.log);
  }

  /** Synchronous last resort (process exit): kill whatever still runs. */
  killNow() {
    for (const p of [this.onacc, this.clamd]) if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
}

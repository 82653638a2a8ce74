// bench/rtp/clamonacc.mjs — ClamAV's on-access scanner for the RTP benchmark: the private clamd
// of the scan benchmark (bench/scan/clamav.mjs: own config, socket, pid, temp and log files; the
// benchmark's signature directory) and clamonacc with its own config file (the same socket, plus
// OnAccessPrevention on the benchmark mount), passing file descriptors to clamd (--fdpass) as a
// root clamonacc would. stop() always ends both — clamonacc holds a fanotify permission group,
// and one left behind would slow (or freeze) the machine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PrivateClamd } from '../scan/clamav.mjs';

export class ClamOnAccess {
  constructor(dir, sigDir, mount, log) {
    this.clamd = new PrivateClamd(dir, sigDir);
    this.mount = mount;
    this.log = log;
    this.onacc = null;
    this.onaccErr = '';
    this.onaccConf = path.join(dir, 'clamonacc.conf');
    this.onaccLog = path.join(dir, 'clamonacc.log');
  }

  /** Starts clamd (PrivateClamd recreates its directory); resolves with its load time in ms. */
  startClamd() {
    return this.clamd.start();
  }

  /** Starts clamonacc; the caller then waits until it blocks (it marks asynchronously). */
  startOnAccess() {
    fs.writeFileSync(
      this.onaccConf,
      [
        `LocalSocket ${this.clamd.socket}`,
        `OnAccessIncludePath ${this.mount}`,
        'OnAccessPrevention yes',
        // clamonacc refuses to start without an exclusion for clamd's own accesses; clamd runs
        // as root here and the measuring process as uid 65534, so excluding root costs nothing.
        'OnAccessExcludeRootUID yes',
        'OnAccessExtraScanning no',
        'OnAccessMaxFileSize 5M',
      ].join('\n') + '\n',
    );
    this.onacc = spawn('clamonacc', ['--foreground', `--config-file=${this.onaccConf}`, '--fdpass', `--log=${this.onaccLog}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.onacc.stderr.setEncoding('utf8').on('data', (c) => (this.onaccErr += c));
    return this.onacc.pid;
  }

  get running() {
    return this.onacc && this.onacc.exitCode === null && this.onacc.signalCode === null;
  }

  async stop() {
    const p = this.onacc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => {
        this.log('clamonacc did not stop in 10 s: SIGKILL');
        p.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(t);
    }
    await this.clamd.stop();
  }

  /** Synchronous last resort (process exit): kill whatever still runs. */
  killNow() {
    for (const p of [this.onacc, this.clamd.proc]) if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
}

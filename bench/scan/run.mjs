#!/usr/bin/env node
// bench/scan/run.mjs — the on-demand scan benchmark, one command (as root):
//   node bench/scan/run.mjs [--dir /var/tmp/wdav-bench-scan] [--repeat 3] [--skip-clamscan] [--wait-quiet S]
//                           [--daemon-node-args "--cpu-prof --cpu-prof-dir=DIR"] [--only-wdav] [--thread-cpu] [--warmup N] [--threads N]
// Builds what is missing (TypeScript, native addon), installs Debian's clamav packages when
// missing, generates the deterministic corpus and ClamAV signatures (corpus.mjs), reads the
// whole corpus once (hot cache for everyone), then, interleaved per round on the same cache:
//   wdavdaemon  `mdatp scan custom --path CORPUS --output json` against a daemon started with
//               --custom-definitions SIGS (real engine, RTP off), timed around the CLI process
//   clamscan    -r -i --database=SIGS CORPUS (one process, loads the signatures itself)
//   clamdscan   --multiscan against a private clamd on the same SIGS (started, then stopped)
// Each run must report exactly the planted set (path → signature name) or the run fails.
// Prints best and median times, MB/s, ratios, the time of `mdatp --version` (what starting the
// CLI costs, part of every wdavdaemon figure) and the daemon's peak RSS (VmHWM); writes
// <dir>/result.json. Benchmarks are not tests: the numbers depend on the machine and its load.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { generate, corpusSize, PARAMS } from './corpus.mjs';
import { ensureClamav, clamscan, PrivateClamd, version as clamVersion } from './clamav.mjs';
import { ROOT, buildCheckout, cpuMs, mainAndOthers, threadCpu, treeCpuMs, waitQuiet } from '../common.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const DIR = path.resolve(opt('--dir', '/var/tmp/wdav-bench-scan'));
const REPEAT = Math.max(1, Number(opt('--repeat', '3')));
// For profiling the daemon, e.g. --daemon-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof" (space-separated).
const DAEMON_NODE_ARGS = opt('--daemon-node-args', '').split(' ').filter(Boolean);
// Only the daemon (profiling, quick checks): no clamd, no clamscan, no ratios.
const ONLY_WDAV = flag('--only-wdav');
const WARMUP = Math.max(1, Number(opt('--warmup', '1')));
const THREADS = opt('--threads', null) === null ? null : Number(opt('--threads', null));
const log = (s) => process.stderr.write(`[bench] ${s}\n`);
// mdatp is run the way an administrator runs it, as the executable on PATH links to: through
// its #! line (which also drops NODE_EXTRA_CA_CERTS, see bin/mdatp.cjs), with the node on PATH.
const MDATP = path.join(ROOT, 'bin', 'mdatp.cjs');

function warm(dir) {
  const buf = Buffer.allocUnsafe(1 << 20);
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const fd = fs.openSync(p, 'r');
        while (fs.readSync(fd, buf) > 0);
        fs.closeSync(fd);
      }
    }
  };
  walk(dir);
}

function apiPost(socket, urlPath, body) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath: socket, agent: false, method: 'POST', path: urlPath, headers: { 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

class Daemon {
  constructor(dir, sigDir) {
    this.dir = dir;
    this.sigDir = sigDir;
    this.socket = path.join(dir, 'run', 'mdatp.sock');
  }

  async start() {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    // Passive mode: detections are reported, never quarantined, so the corpus stays intact
    // for the other scanners and the next round (MDE's passive mode scans on demand too).
    // --threads N sets maximumOnDemandScanThreads (the daemon's default otherwise).
    const engine = { enforcementLevel: 'passive', ...(THREADS ? { maximumOnDemandScanThreads: THREADS } : {}) };
    fs.writeFileSync(path.join(this.dir, 'managed.json'), JSON.stringify({ antivirusEngine: engine }));
    const argv = [...DAEMON_NODE_ARGS, path.join(ROOT, 'bin', 'wdavdaemon.js'), '--socket', this.socket, '--state-dir', path.join(this.dir, 'state'), '--managed-config', path.join(this.dir, 'managed.json'),
      '--custom-definitions', this.sigDir, '--rtp-backend', 'none', '--log-level', 'info'];
    this.proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.out = '';
    this.proc.stdout.setEncoding('utf8').on('data', (c) => (this.out += c));
    this.proc.stderr.setEncoding('utf8').on('data', (c) => (this.out += c));
    const t0 = Date.now();
    while (!this.out.includes('wdavdaemon is ready')) {
      if (this.proc.exitCode !== null) throw new Error(`wdavdaemon exited: ${this.out.slice(-2000)}`);
      if (Date.now() - t0 > 300_000) throw new Error('wdavdaemon did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Definitions may still be loading after `ready`: wait until a scan is accepted.
    const probe = path.join(this.dir, 'probe.txt');
    fs.writeFileSync(probe, 'probe');
    for (;;) {
      const r = await apiPost(this.socket, '/v1/scans', { type: 'custom', paths: [probe] });
      if (r.status === 201) break;
      if (r.status !== 503) throw new Error(`the daemon refused a scan: ${r.status} ${r.text}`);
      if (Date.now() - t0 > 300_000) throw new Error(`the scan engine never became ready: ${r.text}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    await new Promise((r) => setTimeout(r, 500));
    return Date.now() - t0;
  }

  scan(target) {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const p = spawn(MDATP, ['--socket', this.socket, 'scan', 'custom', '--path', target, '--output', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
      p.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
      p.on('close', (code) => {
        const ms = performance.now() - t0;
        if (code !== 0) return reject(new Error(`mdatp exited ${code}: ${stderr}`));
        const doc = JSON.parse(stdout);
        resolve({ ms, daemonMs: doc.durationMs, files: doc.filesScanned, bytes: doc.bytesScanned, errors: doc.errors, found: new Map(doc.threats.map((t) => [t.path, t.name])) });
      });
    });
  }

  /** Wall time of `mdatp --version`: what starting the CLI costs before it can ask for a scan. */
  cliStartMs() {
    const t0 = performance.now();
    const r = spawnSync(MDATP, ['--version'], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('mdatp --version failed');
    return performance.now() - t0;
  }

  peakRssMb() {
    const s = fs.readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(s)[1]) / 1024;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

/** The run's detections must be exactly the planted set. */
function check(tool, found, expected, corpus) {
  const want = new Map(Object.entries(expected).map(([rel, name]) => [path.join(corpus, rel), name]));
  const missing = [...want].filter(([p, n]) => found.get(p) !== n).map(([p, n]) => `${p} (${n}; got ${found.get(p) ?? 'nothing'})`);
  const extra = [...found].filter(([p]) => !want.has(p)).map(([p, n]) => `${p} (${n})`);
  if (missing.length || extra.length) throw new Error(`${tool} did not report exactly the planted set:\n  missing: ${missing.join('\n    ') || '-'}\n  extra: ${extra.join('\n    ') || '-'}`);
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root (clamd and the daemon read the corpus as root)');
  buildCheckout(log, path.join('scan', 'job.js'));
  ensureClamav(log);
  log(`generating (or reusing) the corpus in ${DIR}`);
  const expected = generate(DIR, log);
  const corpus = path.join(DIR, 'corpus');
  const sigs = path.join(DIR, 'sigs');
  const size = corpusSize(DIR);
  log(`corpus ${size.files} files, ${(size.bytes / 1e6).toFixed(0)} MB; warming the page cache`);
  warm(corpus);
  warm(sigs);

  const daemon = new Daemon(path.join(DIR, 'wdavdaemon'), sigs);
  const clamd = new PrivateClamd(path.join(DIR, 'clamd'), sigs);
  const times = { wdav: [], wdavDaemon: [], clamscan: [], clamdscan: [], cliStart: [] };
  const cpu = { wdav: [], wdavMain: [], clamscan: [], clamdscan: [] };
  const load = [];
  try {
    const readyMs = await daemon.start();
    log(`wdavdaemon ready with definitions in ${readyMs} ms`);
    if (!ONLY_WDAV) log(`private clamd ready in ${await clamd.start()} ms`);
    // One unmeasured round each, so both daemons have touched everything once. --warmup N gives
    // the daemon N (its JIT optimizes the lukewarm archive and detection code over several
    // scans: the figures of a long-lived daemon rather than of its first scans).
    for (let i = 0; i < WARMUP; i++) check('wdavdaemon', (await daemon.scan(corpus)).found, expected, corpus);
    if (!ONLY_WDAV) check('clamdscan', (await clamd.multiscan(corpus)).found, expected, corpus);
    for (let r = 0; r < REPEAT; r++) {
      load.push(await waitQuiet(Number(opt('--wait-quiet', '300')) * 1000, log));
      const pid = daemon.proc.pid;
      // The daemon and its scanner process (which reads and matches the files).
      let c0 = treeCpuMs(pid);
      const th0 = threadCpu(pid);
      const w = await daemon.scan(corpus);
      cpu.wdav.push(treeCpuMs(pid) - c0);
      const th1 = threadCpu(pid);
      cpu.wdavMain.push(mainAndOthers(th0, th1, pid).main);
      if (flag('--thread-cpu')) {
        const by = [...th1].map(([t, { name, ms }]) => [t === String(pid) ? 'main' : `${name}/${t}`, ms - (th0.get(t)?.ms ?? 0)]);
        log(`daemon CPU ms by thread: ${by.filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
      check('wdavdaemon', w.found, expected, corpus);
      times.wdav.push(w.ms);
      times.wdavDaemon.push(w.daemonMs);
      times.cliStart.push(daemon.cliStartMs());
      if (ONLY_WDAV) {
        log(`round ${r + 1}/${REPEAT}: wdavdaemon ${w.ms.toFixed(0)} ms (in daemon ${w.daemonMs} ms), CPU ${cpu.wdav.at(-1)} ms (main thread ${cpu.wdavMain.at(-1)} ms)`);
        continue;
      }
      c0 = cpuMs(clamd.proc.pid);
      const c = await clamd.multiscan(corpus);
      cpu.clamdscan.push(cpuMs(clamd.proc.pid) - c0);
      check('clamdscan', c.found, expected, corpus);
      times.clamdscan.push(c.ms);
      if (!flag('--skip-clamscan')) {
        c0 = cpuMs(process.pid, true);
        const s = await clamscan(sigs, corpus);
        cpu.clamscan.push(cpuMs(process.pid, true) - c0);
        check('clamscan', s.found, expected, corpus);
        times.clamscan.push(s.ms);
      }
      log(`round ${r + 1}/${REPEAT}: wdavdaemon ${w.ms.toFixed(0)} ms (in daemon ${w.daemonMs} ms), clamdscan ${c.ms.toFixed(0)} ms${times.clamscan.length ? `, clamscan ${times.clamscan.at(-1).toFixed(0)} ms` : ''}`);
    }
  } finally {
    const rss = daemon.proc && daemon.proc.exitCode === null ? daemon.peakRssMb() : null;
    await daemon.stop();
    if (!ONLY_WDAV) await clamd.stop();
    times.rss = rss;
  }

  const mb = size.bytes / 1e6;
  const row = (name, a, c, rate = true) =>
    a.length ? `${name.padEnd(34)} ${median(a).toFixed(0).padStart(7)} ${Math.min(...a).toFixed(0).padStart(7)} ${(rate ? (mb / (Math.min(...a) / 1000)).toFixed(0) : '-').padStart(7)} ${c ? median(c).toFixed(0).padStart(9) : ''.padStart(9)}` : null;
  const lines = [
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, node ${process.version}; ${clamVersion()}`,
    `CPU used by other processes just before each round: ${load.map((l) => `${(l * 100).toFixed(0)}%`).join(', ')} (the machine is shared; rounds wait up to --wait-quiet s for < 20%)`,
    `corpus: ${size.files} files, ${mb.toFixed(0)} MB; signatures: ${PARAMS.hashSigs} .hsb SHA256, ${PARAMS.bodySigs + 40} .ndb; planted: ${Object.keys(expected).length} (all three reported exactly these)`,
    `${'tool'.padEnd(34)} ${'median'.padStart(7)} ${'best'.padStart(7)} ${'MB/s'.padStart(7)} ${'CPU ms'.padStart(9)}   (wall ms, ${REPEAT} rounds after ${WARMUP} warm-up scan${WARMUP > 1 ? "s" : ""}, hot cache; CPU = the scanning processes, for wdavdaemon the daemon and its scanner process, median)`,
    row('wdavdaemon (mdatp scan custom)', times.wdav, cpu.wdav),
    row('  of which inside the daemon', times.wdavDaemon),
    `  daemon CPU on its main thread (JavaScript): median ${median(cpu.wdavMain).toFixed(0)} ms of ${median(cpu.wdav).toFixed(0)} ms`,
    row('  mdatp --version (CLI start)', times.cliStart, undefined, false),
    row('clamdscan --multiscan (clamd)', times.clamdscan, cpu.clamdscan),
    row('clamscan', times.clamscan, cpu.clamscan),
    ONLY_WDAV ? null : `ratio clamdscan / wdavdaemon: median ${(median(times.clamdscan) / median(times.wdav)).toFixed(1)}x, best ${(Math.min(...times.clamdscan) / Math.min(...times.wdav)).toFixed(1)}x`,
    ONLY_WDAV ? null : `ratio clamdscan / scan time inside the daemon: median ${(median(times.clamdscan) / median(times.wdavDaemon)).toFixed(1)}x (informative: clamdscan's own figure includes its client)`,
    times.clamscan.length ? `ratio clamscan / wdavdaemon: median ${(median(times.clamscan) / median(times.wdav)).toFixed(1)}x` : null,
    ONLY_WDAV ? null : `CPU time ratio clamd / wdavdaemon: ${(median(cpu.clamdscan) / median(cpu.wdav)).toFixed(1)}x`,
    `wdavdaemon peak RSS (VmHWM): ${times.rss?.toFixed(0) ?? '?'} MB`,
  ].filter(Boolean);
  console.log(lines.join('\n'));
  fs.writeFileSync(path.join(DIR, 'result.json'), JSON.stringify({ params: PARAMS, corpus: size, times, cpu, load, summary: lines }, null, 1));
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});

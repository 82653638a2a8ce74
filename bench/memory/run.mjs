#!/usr/bin/env node
// bench/memory/run.mjs — what wdavdaemon holds in memory at rest, one command (as root):
//   node bench/memory/run.mjs [--settle 30] [--dir /var/tmp/wdav-bench-memory] [--skip-clamd]
// Starts the daemon as users run it (dist/, real-time protection on a tmpfs it mounts: the
// fanotify group, its threads and the scanner process all up) twice — on the built-in
// definitions and on the 100,000 hash + 2,000 body signature set of the real-time benchmark —
// waits until it is ready and then `--settle` seconds more, and reads VmRSS / VmHWM / RssAnon /
// RssFile of the broker (the daemon) and of its scanner process (wdav-scanner, its child). The
// peer, in the same run: a private clamd on the same signature set, idle after its load.
// Issue #12's targets: broker idle ≤ 80 MB RSS; scanner with the 100k+2k set ≤ 120 MB. Writes
// <dir>/result.json. Everything started is stopped and the tmpfs unmounted, also on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCheckout, runMain } from '../common.mjs';
import { startRtpDaemon, stopRtpDaemon } from '../rtp/daemon.mjs';
import { writeSignatures } from '../rtp/sigs.mjs';
import { PrivateClamd, ensureClamav, version as clamVersion } from '../scan/clamav.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const WORK = path.resolve(opt('--dir', '/var/tmp/wdav-bench-memory'));
const SETTLE_MS = Number(opt('--settle', '30')) * 1000;
const SKIP_CLAMD = args.includes('--skip-clamd');
const MNT = path.join(WORK, 'mnt');
const log = (s) => process.stderr.write(`[bench-memory] ${s}\n`);

if (process.getuid() !== 0) {
  log('must run as root (fanotify, mount, the scanner user)');
  process.exit(2);
}

let daemon = null;
let clamd = null;
let mounted = false;
function cleanupSync() {
  if (daemon?.proc && daemon.proc.exitCode === null && daemon.proc.signalCode === null) daemon.proc.kill('SIGKILL');
  if (clamd?.proc && clamd.proc.exitCode === null) clamd.proc.kill('SIGKILL');
  if (mounted) {
    spawnSync('umount', ['-l', MNT]);
    mounted = false;
  }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** VmRSS, VmHWM, RssAnon and RssFile of `pid` in MB. */
function mem(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const mb = (k) => Math.round((kb(k) / 1024) * 10) / 10;
  return { rssMB: mb('VmRSS'), hwmMB: mb('VmHWM'), anonMB: mb('RssAnon'), fileMB: mb('RssFile') };
}

/** The daemon's wdav-scanner child. */
function scannerPid(parent) {
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
      if (m && m[1] === 'wdav-scanner' && Number(m[2]) === parent) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

async function measureDaemon(label, sigDir) {
  log(`${label}: starting the daemon`);
  daemon = await startRtpDaemon({ dir: path.join(WORK, 'daemon'), sigDir, mnt: MNT });
  log(`${label}: ready in ${daemon.startMs} ms; settling ${SETTLE_MS / 1000} s`);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const sp = scannerPid(daemon.pid);
  if (!sp) throw new Error('no wdav-scanner child of the daemon');
  const out = { label, startMs: daemon.startMs, broker: mem(daemon.pid), scanner: mem(sp) };
  await stopRtpDaemon(daemon.proc);
  daemon = null;
  return out;
}

async function main() {
  log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs, kernel ${os.release()}`);
  buildCheckout(log, path.join('daemon', 'main.js'));
  if (!SKIP_CLAMD) ensureClamav(log);
  fs.mkdirSync(WORK, { recursive: true });
  fs.chmodSync(WORK, 0o755);
  const builtin = path.join(WORK, 'builtin');
  fs.rmSync(builtin, { recursive: true, force: true });
  fs.mkdirSync(builtin);
  const sigs = path.join(WORK, 'sigs');
  fs.rmSync(sigs, { recursive: true, force: true });
  writeSignatures(sigs);
  fs.mkdirSync(MNT, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=1777', 'tmpfs', MNT]);
  mounted = true;

  const runs = [await measureDaemon('built-in definitions', builtin), await measureDaemon('100k hash + 2k body signatures', sigs)];
  let peer = null;
  if (!SKIP_CLAMD) {
    log('clamd: loading the same signature set');
    clamd = new PrivateClamd(path.join(WORK, 'clamd'), sigs);
    const loadMs = await clamd.start();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    peer = { loadMs, clamd: mem(clamd.proc.pid) };
    await clamd.stop();
    clamd = null;
  }
  const targets = {
    brokerIdleWithin80MB: runs[0].broker.rssMB <= 80,
    brokerIdleWithSetWithin80MB: runs[1].broker.rssMB <= 80,
    scannerWithSetWithin120MB: runs[1].scanner.rssMB <= 120,
  };
  const result = {
    date: new Date().toISOString(),
    command: `node bench/memory/run.mjs ${args.join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), node: process.version, clamav: SKIP_CLAMD ? null : clamVersion() },
    settleMs: SETTLE_MS,
    runs,
    peer,
    targets,
  };
  fs.writeFileSync(path.join(WORK, 'result.json'), JSON.stringify(result, null, 1));
  const row = (name, m) => `| ${name} | ${m.rssMB} | ${m.hwmMB} | ${m.anonMB} | ${m.fileMB} |`;
  const lines = ['| process, definitions | VmRSS MB | VmHWM MB | RssAnon MB | RssFile MB |', '|---|---|---|---|---|'];
  for (const r of runs) lines.push(row(`broker (wdavdaemon), ${r.label}`, r.broker), row(`scanner (wdav-scanner), ${r.label}`, r.scanner));
  if (peer) lines.push(row('clamd, 100k hash + 2k body signatures', peer.clamd));
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  if (peer) {
    const ours = runs[1].broker.rssMB + runs[1].scanner.rssMB;
    process.stdout.write(`with the signature set: broker + scanner ${ours.toFixed(1)} MB vs clamd ${peer.clamd.rssMB} MB = ${(ours / peer.clamd.rssMB).toFixed(2)}x\n`);
  }
  process.stdout.write(`targets: ${JSON.stringify(targets)}\nresult: ${path.join(WORK, 'result.json')}\n`);
}

runMain(main, log, async () => {
  if (daemon) await stopRtpDaemon(daemon.proc).catch(() => {});
  await clamd?.stop().catch(() => {});
  cleanupSync();
  fs.rmSync(path.join(WORK, 'sigs'), { recursive: true, force: true });
});

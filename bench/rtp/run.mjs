#!/usr/bin/env node
// bench/rtp/run.mjs — the real-time protection benchmark, one command (as root):
//   node bench/rtp/run.mjs [--files 2000] [--storm 100000] [--storm-threads 64] [--rounds 1]
//                          [--dir /var/tmp/wdav-bench-rtp] [--skip-clamonacc] [--wait-quiet 300]
//                          [--daemon-node-args "--cpu-prof --cpu-prof-dir=DIR"] [--js-verdicts]
// Builds what is missing, installs Debian's clamav packages when missing, mounts a private
// tmpfs (<dir>/mnt), writes one signature set (100,000 hash + 2,000 body signatures) and, in the
// same run, measures with a C program running as uid 65534 (bench-io.c: no runtime between the
// timestamps), on 64 KiB files:
//   first open (cold)       open+read+close of files written before the scanner started
//   repeated open           the same files, second and third pass
//   create+write            create, write 64 KiB, close
//   first open after write  open+read+close of the files just written
// for: no RTP; wdavdaemon (--rtp-backend fanotify --rtp-path <mnt>, custom definitions = the
// signature set); ClamAV clamonacc (OnAccessPrevention, --fdpass, private clamd on the same
// signatures). Each scanner must block a planted file before it is measured. Then an open
// storm: N distinct 4 KiB files opened once each by T threads, with no RTP and with wdavdaemon
// (every open a permission event): all opens must succeed, no event may be answered by the
// deadline or dropped, and the daemon's peak RSS (VmHWM) is reported. --js-verdicts runs the
// daemon with WDAV_RTP_NATIVE_VERDICTS=0: every event through JavaScript, as before issue #12.
// The storm's floor on this machine is measured in the same run: floor.c, a fanotify listener
// that allows every event at once (no scan, no mark, no path), on 1 and on N reader threads —
// the kernel's own cost per permission event, which no listener can go below.
// Prints p50/p99 and ratios; writes <dir>/result.json. Everything started is stopped and the
// tmpfs unmounted, also on failure or Ctrl-C. Benchmarks are not tests: figures depend on the
// machine and its load.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureClamav, version as clamVersion } from '../scan/clamav.mjs';
import { ClamOnAccess } from './clamonacc.mjs';
import { writeSignatures } from './sigs.mjs';
import { ROOT, buildCheckout, runMain, waitQuiet } from '../common.mjs';
import { apiGet, startRtpDaemon, stopRtpDaemon } from './daemon.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const WORK = path.resolve(opt('--dir', '/var/tmp/wdav-bench-rtp'));
const FILES = Number(opt('--files', '2000'));
const STORM = Number(opt('--storm', '100000'));
const STORM_THREADS = Number(opt('--storm-threads', '64'));
const ROUNDS = Math.max(1, Number(opt('--rounds', '1')));
const SKIP_CLAM = flag('--skip-clamonacc');
const WAIT_QUIET_MS = Number(opt('--wait-quiet', '300')) * 1000;
// For profiling, e.g. --daemon-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof" (space-separated).
const DAEMON_NODE_ARGS = opt('--daemon-node-args', '').split(' ').filter(Boolean);
const JS_VERDICTS = args.includes('--js-verdicts');
const MNT = path.join(WORK, 'mnt');
const NOBODY = 65534;
const log = (s) => process.stderr.write(`[bench-rtp] ${s}\n`);

if (process.getuid() !== 0) {
  log('must run as root (fanotify, mount, clamonacc)');
  process.exit(2);
}

// ---- cleanup: nothing may outlive the benchmark -------------------------------------------
let daemonProc = null;
let floorProc = null;
let clam = null;
let mounted = false;
function cleanupSync() {
  if (floorProc && floorProc.exitCode === null && floorProc.signalCode === null) floorProc.kill('SIGKILL');
  if (daemonProc && daemonProc.exitCode === null && daemonProc.signalCode === null) daemonProc.kill('SIGKILL');
  clam?.killNow();
  if (mounted) {
    spawnSync('umount', ['-l', MNT]);
    mounted = false;
  }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---- setup ---------------------------------------------------------------------------------
function build() {
  buildCheckout(log, path.join('rtp', 'stage.js'));
  const bin = path.join(WORK, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  execFileSync('cc', ['-O2', '-pthread', '-o', path.join(bin, 'bench-io'), path.join(ROOT, 'bench', 'rtp', 'bench-io.c')]);
  execFileSync('cc', ['-O2', '-pthread', '-o', path.join(bin, 'floor'), path.join(ROOT, 'bench', 'rtp', 'floor.c')]);
  return path.join(bin, 'bench-io');
}

/** The storm under floor.c with `threads` readers: the kernel's cost alone. */
async function floorStorm(threads) {
  await quiet();
  floorProc = spawn(path.join(WORK, 'bin', 'floor'), [MNT, String(threads)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  floorProc.stdout.setEncoding('utf8').on('data', (c) => (out += c));
  for (let i = 0; i < 200 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 25));
  if (!out.includes('ready')) throw new Error(`floor did not start: ${out}`);
  const [r] = io('storm', path.join(MNT, 'storm'), STORM, STORM_THREADS);
  const exited = new Promise((res) => floorProc.once('exit', res));
  floorProc.kill('SIGTERM');
  await exited;
  floorProc = null;
  return { ...r, readers: threads, answered: JSON.parse(out.trim().split('\n').pop()).events };
}

let BENCH_IO;
/** Runs bench-io as uid 65534; returns its JSON lines. */
function io(...a) {
  const r = spawnSync(BENCH_IO, a.map(String), { uid: NOBODY, gid: NOBODY, encoding: 'utf8', maxBuffer: 1 << 20, timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error(`bench-io ${a.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** open+read as uid 65534: 'ok' or the errno name. */
function probe(file) {
  const r = spawnSync('cat', [file], { uid: NOBODY, gid: NOBODY, encoding: 'latin1', timeout: 30_000 });
  if (r.status === 0) return 'ok';
  return /Operation not permitted/.test(r.stderr) ? 'EPERM' : /No such file/.test(r.stderr) ? 'ENOENT' : `error: ${r.stderr.trim()}`;
}

function mkdirs(...dirs) {
  for (const d of dirs) {
    fs.mkdirSync(d, { recursive: true });
    fs.chmodSync(d, 0o1777);
  }
}

const quiet = () => waitQuiet(WAIT_QUIET_MS, log);

// ---- wdavdaemon ----------------------------------------------------------------------------
function memOf(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

async function startDaemon(sigDir) {
  const d = await startRtpDaemon({ dir: path.join(WORK, 'daemon'), sigDir, mnt: MNT, jsVerdicts: JS_VERDICTS, nodeArgs: DAEMON_NODE_ARGS });
  daemonProc = d.proc;
  return { socket: d.socket, pid: d.pid, startMs: d.startMs };
}

async function stopDaemon() {
  const p = daemonProc;
  await stopRtpDaemon(p);
  if (daemonProc === p) daemonProc = null;
}

// ---- one mode ------------------------------------------------------------------------------
async function runMode(mode, sig, planted) {
  const base = path.join(MNT, mode);
  const cold = path.join(base, 'cold');
  const written = path.join(base, 'written');
  mkdirs(cold, written);
  const plantedFile = path.join(base, 'planted.bin');
  fs.writeFileSync(plantedFile, planted, { mode: 0o644 });
  io('write', cold, FILES, 65536);
  const out = { mode };
  let daemon = null;
  if (mode === 'wdavdaemon') {
    daemon = await startDaemon(sig);
    out.daemonStartMs = daemon.startMs;
    const p = probe(plantedFile);
    if (p !== 'EPERM') throw new Error(`wdavdaemon did not block the planted file (${p})`);
  } else if (mode === 'clamonacc') {
    clam = new ClamOnAccess(path.join(WORK, 'clamd'), sig, MNT, log);
    out.clamdStartMs = await clam.startClamd();
    clam.startOnAccess();
    const t0 = Date.now();
    for (;;) {
      if (!clam.running) throw new Error(`clamonacc exited: ${clam.onaccErr}`);
      if (probe(plantedFile) === 'EPERM') break;
      if (Date.now() - t0 > 120_000) throw new Error('clamonacc did not start blocking within 120 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    out.clamonaccReadyMs = Date.now() - t0;
  } else if (probe(plantedFile) !== 'ok') throw new Error('without RTP the planted file must open');
  out.cpuBusyBefore = await quiet();
  log(`${mode}: measuring (others used ${(out.cpuBusyBefore * 100).toFixed(0)}% CPU just before)`);
  const [c1, c2, c3] = io('read', cold, FILES, 3);
  const [w] = io('write', written, FILES, 65536);
  const [w1] = io('read', written, FILES, 1);
  Object.assign(out, { firstOpenCold: c1, repeated2: c2, repeated3: c3, createWrite: w, firstOpenAfterWrite: w1 });
  for (const r of [c1, c2, c3, w, w1]) if (r.ok !== r.n) throw new Error(`${mode}: ${r.phase} had failures: ${JSON.stringify(r)}`);
  if (daemon) {
    out.daemon = { mem: memOf(daemon.pid), features: (await apiGet(daemon.socket, '/v1/health?details=features')).fields };
  }
  if (mode === 'clamonacc') {
    await clam.stop();
    clam = null;
  }
  fs.rmSync(base, { recursive: true, force: true });
  return { out, daemon };
}

async function storm(daemon) {
  const dir = path.join(MNT, 'storm');
  await quiet();
  const before = daemon ? (await apiGet(daemon.socket, '/v1/health?details=features')).fields : null;
  const [r] = io('storm', dir, STORM, STORM_THREADS);
  const res = { ...r };
  if (daemon) {
    const after = (await apiGet(daemon.socket, '/v1/health?details=features')).fields;
    const n0 = before.real_time_protection_native;
    const n1 = after.real_time_protection_native;
    const d = (f) => f(n1) - f(n0);
    res.events = d((n) => n.events.open + n.events.exec);
    res.answeredByJs = d((n) => n.answeredByJs.allow + n.answeredByJs.deny);
    res.native = Object.fromEntries(Object.keys(n1.answeredNatively).map((k) => [k, n1.answeredNatively[k] - n0.answeredNatively[k]]));
    res.lateResponses = d((n) => n.answeredByJs.late);
    res.nativeClean = d((n) => n.nativeVerdicts?.clean ?? 0);
    res.overflow = d((n) => n.events.overflow);
    res.queueFull = after.real_time_protection_counters.queueFull - before.real_time_protection_counters.queueFull;
    res.pendingMaxDepth = n1.pending.maxDepth;
    res.mem = memOf(daemon.pid);
    res.lost = res.events - res.answeredByJs - res.nativeClean - Object.values(res.native).reduce((a, b) => a + b, 0);
  }
  return res;
}

// ---- report --------------------------------------------------------------------------------
const us = (ns) => (ns / 1000).toFixed(1);
function table(rounds) {
  const pick = (mode, key) => {
    const xs = rounds.map((r) => r[mode]?.[key]).filter(Boolean);
    if (!xs.length) return null;
    const med = (f) => xs.map(f).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { p50: med((x) => x.p50_ns), p99: med((x) => x.p99_ns) };
  };
  const rows = [
    ['first open (cold)', 'firstOpenCold'],
    ['first open after write', 'firstOpenAfterWrite'],
    ['repeated open (2nd)', 'repeated2'],
    ['repeated open (3rd)', 'repeated3'],
    ['create+write 64 KiB', 'createWrite'],
  ];
  const lines = ['| operation (64 KiB) | no RTP p50 / p99 µs | wdavdaemon p50 / p99 µs | clamonacc p50 / p99 µs | wdav ÷ no RTP (p50) | clamonacc ÷ wdav (p50) |', '|---|---|---|---|---|---|'];
  const summary = {};
  for (const [label, key] of rows) {
    const off = pick('off', key);
    const w = pick('wdavdaemon', key);
    const c = pick('clamonacc', key);
    const cell = (x) => (x ? `${us(x.p50)} / ${us(x.p99)}` : 'n/a');
    const r1 = off && w ? w.p50 / off.p50 : null;
    const r2 = c && w ? c.p50 / w.p50 : null;
    summary[key] = { off, wdavdaemon: w, clamonacc: c, wdavOverOff: r1, clamOverWdav: r2 };
    lines.push(`| ${label} | ${cell(off)} | ${cell(w)} | ${cell(c)} | ${r1 ? r1.toFixed(2) + '×' : 'n/a'} | ${r2 ? r2.toFixed(1) + '×' : 'n/a'} |`);
  }
  return { text: lines.join('\n'), summary };
}

async function main() {
  log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs, kernel ${os.release()}`);
  fs.mkdirSync(WORK, { recursive: true });
  fs.chmodSync(WORK, 0o755);
  BENCH_IO = build();
  if (!SKIP_CLAM) ensureClamav(log);
  const sig = path.join(WORK, 'sigs');
  fs.rmSync(sig, { recursive: true, force: true });
  const { planted } = writeSignatures(sig);
  fs.mkdirSync(MNT, { recursive: true });
  const size = Math.ceil((FILES * 65536 * 2 + STORM * 4096 * 1.1) / (1 << 20)) + 256;
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}m,mode=1777`, 'tmpfs', MNT]);
  mounted = true;
  const stormDir = path.join(MNT, 'storm');
  mkdirs(stormDir);
  log(`creating ${STORM} storm files`);
  io('write', stormDir, STORM, 4096);

  const rounds = [];
  let stormOff = null;
  let stormWdav = null;
  let stormFloor = null;
  for (let round = 0; round < ROUNDS; round++) {
    const r = {};
    for (const mode of ['off', 'wdavdaemon', ...(SKIP_CLAM ? [] : ['clamonacc'])]) {
      log(`round ${round + 1}/${ROUNDS}: ${mode}`);
      const { out, daemon } = await runMode(mode, sig, planted);
      if (round === 0 && mode === 'off') {
        stormOff = await storm(null);
        const readers = Math.max(2, os.availableParallelism());
        log(`open storm under floor.c (allow at once) with 1 and ${readers} reader threads`);
        stormFloor = [await floorStorm(1), await floorStorm(readers)];
      }
      if (round === 0 && mode === 'wdavdaemon') {
        log(`open storm: ${STORM} files, ${STORM_THREADS} threads`);
        stormWdav = await storm(daemon);
      }
      if (daemon) await stopDaemon();
      r[mode] = out;
    }
    rounds.push(r);
  }
  const t = table(rounds);
  const repeated = t.summary.repeated3.wdavOverOff;
  const verdicts = {
    repeatedOpenP50WithinTarget: repeated !== null && repeated <= 1.3,
    firstOpenAfterWriteFasterThanClamonacc8x: t.summary.firstOpenAfterWrite.clamOverWdav !== null ? t.summary.firstOpenAfterWrite.clamOverWdav >= 8 : null,
    firstOpenColdFasterThanClamonacc8x: t.summary.firstOpenCold.clamOverWdav !== null ? t.summary.firstOpenCold.clamOverWdav >= 8 : null,
    stormCompleteNoLostAnswers: stormWdav.ok === STORM && stormWdav.lost === 0 && stormWdav.native.timeout === 0 && stormWdav.native.tableFull === 0 && stormWdav.native.tsfnFull === 0,
    stormRssWithin200MB: stormWdav.mem.hwmMB <= 200,
  };
  const result = {
    date: new Date().toISOString(),
    command: `node bench/rtp/run.mjs ${args.join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), node: process.version, clamav: SKIP_CLAM ? null : clamVersion() },
    files: FILES, rounds, storm: { off: stormOff, floor: stormFloor, wdavdaemon: stormWdav }, summary: t.summary, verdicts,
  };
  fs.writeFileSync(path.join(WORK, 'result.json'), JSON.stringify(result, null, 1));
  process.stdout.write(`\n${t.text}\n\n`);
  process.stdout.write(`open storm (${STORM} distinct 4 KiB files, ${STORM_THREADS} threads): no RTP ${stormOff.total_ms.toFixed(0)} ms; ` +
    `wdavdaemon ${stormWdav.total_ms.toFixed(0)} ms, ${stormWdav.ok}/${STORM} opens ok, ${stormWdav.events} permission events, ${stormWdav.answeredByJs} answered by a JS verdict, ${stormWdav.nativeClean} by a native verdict, ` +
    `natively ${JSON.stringify(stormWdav.native)}, lost ${stormWdav.lost}, queue full ${stormWdav.queueFull}, peak pending ${stormWdav.pendingMaxDepth}, ` +
    `daemon RSS ${stormWdav.mem.rssMB.toFixed(0)} MB (peak ${stormWdav.mem.hwmMB.toFixed(0)} MB)\n`);
  const best = Math.min(...stormFloor.map((f) => f.total_ms));
  process.stdout.write(`storm floor (floor.c, allow at once): ${stormFloor.map((f) => `${f.readers} reader${f.readers > 1 ? "s" : ""} ${f.total_ms.toFixed(0)} ms (${Math.round(STORM / f.total_ms * 1000)} opens/s)`).join(', ')}; ` +
    `wdavdaemon ${Math.round(STORM / stormWdav.total_ms * 1000)} opens/s = ${(stormWdav.total_ms / best).toFixed(2)}x the best floor\n`);
  process.stdout.write(`targets: ${JSON.stringify(verdicts)}\nresult: ${path.join(WORK, 'result.json')}\n`);
}

runMain(main, log, async () => {
  await stopDaemon().catch(() => {});
  await clam?.stop().catch(() => {});
  cleanupSync();
});

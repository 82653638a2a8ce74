#!/usr/bin/env node
// bench/workload/run.mjs — what real-time protection costs real work, one command (as root):
//   node bench/workload/run.mjs [--tree DIR] [--rounds 1] [--dir /var/tmp/wdav-bench-workload]
//                               [--skip-compile] [--wait-quiet 60]
// On a private tmpfs (<dir>/mnt, the only path the daemon monitors: --rtp-path, never the whole
// machine), with the RTP benchmark's signature set (100,000 SHA256 + 2,000 body signatures,
// bench/rtp/sigs.mjs), runs the workload of issue #12 and times each step:
//   untar        tar -xf of the tree (default: this checkout's node_modules, ~20,000 files)
//   first read   every file of it read once, right after (find | xargs cat)
//   git          git init, git add -A, git commit of it
//   compile      node-gyp rebuild of this repository's addon and scanner, copied into the tmpfs
// in four configurations, interleaved per round: no RTP; the floor (bench/rtp/floor.c: a
// fanotify listener that allows every open at once — what the kernel's permission events alone
// cost this workload on this machine); wdavdaemon with native verdicts (the default);
// wdavdaemon with every verdict through JavaScript (WDAV_RTP_NATIVE_VERDICTS=0, how it ran
// before issue #12). Prints seconds per step and the ratios to no RTP, with issue
// #12's targets (≤ 1.3× untar and first read, ≤ 1.1× git and compile); writes
// <dir>/result.json. Everything started is stopped and the tmpfs unmounted, also on failure.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSignatures } from '../rtp/sigs.mjs';
import { ROOT, buildCheckout, runMain, waitQuiet } from '../common.mjs';
import { apiGet, startRtpDaemon, stopRtpDaemon } from '../rtp/daemon.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const WORK = path.resolve(opt('--dir', '/var/tmp/wdav-bench-workload'));
const TREE = path.resolve(opt('--tree', path.join(ROOT, 'node_modules')));
const ROUNDS = Math.max(1, Number(opt('--rounds', '1')));
const SKIP_COMPILE = args.includes('--skip-compile');
const WAIT_QUIET_MS = Number(opt('--wait-quiet', '60')) * 1000;
const MNT = path.join(WORK, 'mnt');
const log = (s) => process.stderr.write(`[bench-workload] ${s}\n`);

let daemon = null;
let mounted = false;
function cleanupSync() {
  if (daemon && daemon.proc.exitCode === null && daemon.proc.signalCode === null) daemon.proc.kill('SIGKILL');
  if (floorProc && floorProc.exitCode === null && floorProc.signalCode === null) floorProc.kill('SIGKILL');
  if (mounted) {
    spawnSync('umount', ['-l', MNT]);
    mounted = false;
  }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function startDaemon(sigDir, jsVerdicts) {
  daemon = await startRtpDaemon({ dir: path.join(WORK, 'daemon'), sigDir, mnt: MNT, jsVerdicts });
  return daemon;
}

async function stopDaemon() {
  const d = daemon;
  daemon = null;
  await stopRtpDaemon(d?.proc);
}

/** Runs `cmd` (a shell line) in `cwd`, timed; throws with its output when it fails. */
function timed(step, cmd, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost', NODE_OPTIONS: '' } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${step} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(-2000)}`);
  return s;
}

/** open+read as uid 65534: 'ok' or the error. */
function probe(file) {
  const r = spawnSync('cat', [file], { uid: 65534, gid: 65534, encoding: 'latin1', timeout: 30_000 });
  return r.status === 0 ? 'ok' : /Operation not permitted/.test(r.stderr) ? 'EPERM' : r.stderr.trim();
}

let floorProc = null;

/** floor.c (bench/rtp/) on the mount: every open a permission event, allowed at once. */
async function startFloor() {
  const bin = path.join(WORK, 'bin', 'floor');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  execFileSync('cc', ['-O2', '-pthread', '-o', bin, path.join(ROOT, 'bench', 'rtp', 'floor.c')]);
  floorProc = spawn(bin, [MNT, String(os.availableParallelism())], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  floorProc.stdout.setEncoding('utf8').on('data', (c) => (out += c));
  for (let i = 0; i < 200 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 25));
  if (!out.includes('ready')) throw new Error(`floor did not start: ${out}`);
}

async function stopFloor() {
  const p = floorProc;
  floorProc = null;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((res) => p.once('exit', res));
  p.kill('SIGTERM');
  await exited;
}

async function runOnce(mode, tarball, sigDir, planted) {
  const w = path.join(MNT, 'w');
  fs.rmSync(w, { recursive: true, force: true });
  fs.mkdirSync(w, { recursive: true });
  await waitQuiet(WAIT_QUIET_MS, log);
  if (mode === 'floor') await startFloor();
  if (mode !== 'off' && mode !== 'floor') {
    // Written before the daemon starts (no after-write scan): it must block the first open.
    const p = path.join(MNT, 'planted.bin');
    fs.writeFileSync(p, planted, { mode: 0o644 });
    await startDaemon(sigDir, mode === 'js');
    const got = probe(p);
    if (got !== 'EPERM') throw new Error(`the daemon (${mode}) did not block the planted file: ${got}`);
    fs.rmSync(p, { force: true });
  }
  const before = daemon ? (await apiGet(daemon.socket, '/v1/health?details=features')).fields.real_time_protection_native : null;
  const r = {};
  r.untar = timed('untar', `tar -xf ${tarball}`, w);
  r.read = timed('first read', 'find . -type f -print0 | xargs -0 cat > /dev/null', w);
  r.git = timed('git', 'git init -q && git add -A && git commit -qm workload', w);
  if (!SKIP_COMPILE) {
    const a = path.join(MNT, 'addon');
    fs.rmSync(a, { recursive: true, force: true });
    fs.mkdirSync(path.join(a, 'node_modules'), { recursive: true });
    for (const p of ['binding.gyp', 'native', 'scripts', 'package.json']) fs.cpSync(path.join(ROOT, p), path.join(a, p), { recursive: true });
    fs.cpSync(path.join(ROOT, 'node_modules', 'node-addon-api'), path.join(a, 'node_modules', 'node-addon-api'), { recursive: true });
    const gyp = path.join(ROOT, 'node_modules', '.bin', 'node-gyp');
    // As `npm run build:native` does it: npm's nodedir (Debian's headers in /usr), no download.
    const nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
    const dirArg = nodedir && nodedir !== 'undefined' && nodedir !== 'null' ? ` --nodedir=${nodedir}` : '';
    r.compile = timed('compile', `${gyp} rebuild -j ${os.availableParallelism()}${dirArg} > /dev/null`, a);
    fs.rmSync(a, { recursive: true, force: true });
  }
  if (daemon) {
    const after = (await apiGet(daemon.socket, '/v1/health?details=features')).fields;
    const n = after.real_time_protection_native;
    r.events = n.events.open + n.events.exec - (before.events.open + before.events.exec);
    r.nativeClean = (n.nativeVerdicts?.clean ?? 0) - (before.nativeVerdicts?.clean ?? 0);
    r.byJs = n.answeredByJs.allow + n.answeredByJs.deny - (before.answeredByJs.allow + before.answeredByJs.deny);
    r.deadline = n.answeredNatively.timeout - before.answeredNatively.timeout;
    await stopDaemon();
  }
  await stopFloor();
  fs.rmSync(w, { recursive: true, force: true });
  return r;
}

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root: it mounts a tmpfs and runs the daemon');
  if (!fs.existsSync(TREE)) throw new Error(`no tree at ${TREE} (npm ci first, or --tree DIR)`);
  buildCheckout(log, path.join('rtp', 'stage.js'));
  fs.mkdirSync(WORK, { recursive: true });
  const sigDir = path.join(WORK, 'sigs');
  fs.rmSync(sigDir, { recursive: true, force: true });
  fs.mkdirSync(sigDir, { recursive: true });
  const { planted } = writeSignatures(sigDir);
  const tarball = path.join(WORK, 'tree.tar');
  log(`packing ${TREE}`);
  execFileSync('tar', ['-cf', tarball, '-C', path.dirname(TREE), path.basename(TREE)]);
  const files = Number(execFileSync('bash', ['-c', `tar -tf ${tarball} | grep -vc '/$'`], { encoding: 'utf8' }).trim());
  const mb = fs.statSync(tarball).size / 1e6;
  fs.mkdirSync(MNT, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil(mb * 4 + 2048)}m,mode=1777`, 'tmpfs', MNT]);
  mounted = true;
  const modes = ['off', 'floor', 'native', 'js'];
  const results = Object.fromEntries(modes.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of modes) {
      log(`round ${round + 1}/${ROUNDS}: ${m}`);
      results[m].push(await runOnce(m, tarball, sigDir, planted));
    }
  }
  const steps = ['untar', 'read', 'git', ...(SKIP_COMPILE ? [] : ['compile'])];
  const target = { untar: 1.3, read: 1.3, git: 1.1, compile: 1.1 };
  const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = (mode, k) => med(results[mode].map((r) => r[k]));
  const lines = [
    `${files} files, ${mb.toFixed(0)} MB (${TREE}); 100,000 SHA256 + 2,000 body signatures; median of ${ROUNDS} round(s), seconds`,
    '| step | no RTP | floor.c (allow at once) | ratio | wdavdaemon (native verdicts) | ratio | wdavdaemon (all through JS) | ratio | target |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const summary = {};
  for (const k of steps) {
    const off = m('off', k);
    const nat = m('native', k);
    const js = m('js', k);
    const fl = m('floor', k);
    summary[k] = { off, floor: fl, native: nat, js, ratioFloor: fl / off, ratioNative: nat / off, ratioJs: js / off, target: target[k], met: nat / off <= target[k] };
    lines.push(`| ${k} | ${off.toFixed(2)} | ${fl.toFixed(2)} | ${(fl / off).toFixed(2)}× | ${nat.toFixed(2)} | ${(nat / off).toFixed(2)}× | ${js.toFixed(2)} | ${(js / off).toFixed(2)}× | ≤ ${target[k]}× |`);
  }
  for (const mode of ['native', 'js']) {
    const r = results[mode].at(-1);
    lines.push(`${mode}: ${r.events} permission events, ${r.nativeClean} allowed by a native verdict, ${r.byJs} answered by JavaScript, ${r.deadline} at the deadline (last round)`);
  }
  const out = {
    date: new Date().toISOString(),
    command: `node bench/workload/run.mjs ${args.join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), node: process.version },
    tree: { path: TREE, files, mb },
    results,
    summary,
  };
  fs.writeFileSync(path.join(WORK, 'result.json'), JSON.stringify(out, null, 1));
  process.stdout.write(`${lines.join('\n')}\nresult: ${path.join(WORK, 'result.json')}\n`);
}

runMain(main, log, async () => {
  await stopFloor().catch(() => {});
  await stopDaemon().catch(() => {});
  cleanupSync();
});

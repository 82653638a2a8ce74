// bench/common.mjs — what the benchmark scripts share: building the checkout they measure,
// waiting for a quiet machine (it is shared with other work), and CPU time from /proc.
// Owns these helpers only; each benchmark keeps its own options, inputs and report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the native addon when missing and compiles TypeScript; `distFile` proves dist/ is there. */
export function buildCheckout(log, distFile) {
  if (!fs.existsSync(path.join(ROOT, 'build', 'Release', 'wdav.node'))) {
    log('building the native addon');
    if (spawnSync('npm', ['run', 'build:native'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('native build failed');
  }
  log('compiling TypeScript');
  spawnSync('npm', ['run', 'build:ts'], { cwd: ROOT, stdio: 'ignore' });
  if (!fs.existsSync(path.join(ROOT, 'dist', distFile))) throw new Error('dist/ is missing: npm run build:ts failed');
}

function cpuTotals() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + f[4], all: f.reduce((a, b) => a + b, 0) };
}

/** Share of the machine's CPU busy over `ms` (call it while the benchmark itself is idle). */
export async function busyShare(ms) {
  const a = cpuTotals();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTotals();
  return 1 - (b.idle - a.idle) / Math.max(1, b.all - a.all);
}

/** Waits (up to maxMs) until other work uses less than 20% of the CPUs; returns the last share. */
export async function waitQuiet(maxMs, log) {
  const t0 = Date.now();
  let busy = await busyShare(2000);
  while (busy > 0.2 && Date.now() - t0 < maxMs) {
    log(`machine busy (${(busy * 100).toFixed(0)}% CPU used by other processes): waiting`);
    busy = await busyShare(5000);
  }
  return busy;
}

/** Fields of a /proc stat line after the command: state is [0], utime [11], stime [12], cutime [13], cstime [14]. */
function statFields(text) {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime+stime of a live process, or cutime+cstime of its waited-for children, in ms. */
export function cpuMs(pid, children = false) {
  const f = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** CPU ms of `pid` and of its live child processes (the daemon and its wdav-scanner). */
export function treeCpuMs(pid) {
  let ms = cpuMs(pid);
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    let kids = '';
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of kids.split(' ').filter(Boolean)) {
      try {
        ms += cpuMs(Number(c));
      } catch {
        // gone meanwhile
      }
    }
  }
  return ms;
}

/** CPU ms of each live thread of `pid`: tid → { name, ms }; the main thread's tid is the pid. */
export function threadCpu(pid = process.pid) {
  const out = new Map();
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = statFields(stat);
      out.set(t, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(f[11]) + Number(f[12])) * TICK_MS });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** CPU ms between two threadCpu() readings: the main thread, and all others together. */
export function mainAndOthers(before, after, pid = process.pid) {
  let main = 0;
  let others = 0;
  for (const [t, { ms }] of after) {
    const d = ms - (before.get(t)?.ms ?? 0);
    if (t === String(pid)) main += d;
    else others += d;
  }
  return { main, others };
}

/** Runs a benchmark's `main`: a failure is logged with its stack and sets exit status 1; `cleanup` always runs. */
export function runMain(main, log, cleanup) {
  main()
    .catch((e) => {
      log(`failed: ${e.stack ?? e}`);
      process.exitCode = 1;
    })
    .finally(cleanup);
}

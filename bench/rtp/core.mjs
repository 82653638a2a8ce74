#!/usr/bin/env node
// bench/rtp/core.mjs — the native fanotify core alone (no engine, no daemon): how fast can one
// group answer permission events, and what does respond() cost on the JS thread, with 1 and
// with many concurrent openers. The JS side answers every event at once (allow), so the figures
// are the floor of the real-time path: kernel → reader thread → JS → respond → kernel.
//   node bench/rtp/core.mjs [--files 20000] [--threads 1,64] [--mark] [--defer]
//                           [--dir /var/tmp/wdav-bench-rtp-core]
//   --mark   respond with an ignore mark (as for a clean verdict; each file is opened once)
//   --defer  answer from setImmediate instead of inside the onEvents callback (as the daemon
//            does after its verdict promise), so respond() overlaps the reader's next read()
// Opens come from bench-io (C, uid 65534): `storm` over distinct 4 KiB files, once each.
// As root. Mounts a private tmpfs under --dir and always unmounts it; closes the group first.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const FILES = Number(opt('--files', '20000'));
const THREADS = opt('--threads', '1,64').split(',').map(Number);
const MARK = args.includes('--mark');
const DEFER = args.includes('--defer');
const WORK = path.resolve(opt('--dir', '/var/tmp/wdav-bench-rtp-core'));
const MNT = path.join(WORK, 'mnt');
const NOBODY = 65534;
const log = (s) => process.stderr.write(`[bench-rtp-core] ${s}\n`);

if (process.getuid() !== 0) {
  log('must run as root (fanotify, mount)');
  process.exit(2);
}

const { openFanotifyGroup } = await import(path.join(ROOT, 'dist', 'rtp', 'fanotify', 'native.js'));

let group = null;
let mounted = false;
function cleanup() {
  group?.close();
  group = null;
  if (mounted) spawnSync('umount', ['-l', MNT]);
  mounted = false;
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function io(...a) {
  const r = spawnSync(BENCH_IO, a.map(String), { uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`bench-io ${a.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** The storm runs asynchronously: this process answers the events it causes. */
function ioAsync(...a) {
  return new Promise((resolve, reject) => {
    const p = spawn(BENCH_IO, a.map(String), { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60_000 });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    p.on('close', (code, sig) => (code === 0 ? resolve(out.trim().split('\n').map((l) => JSON.parse(l))) : reject(new Error(`bench-io ${a.join(' ')} failed (${code ?? sig})`))));
  });
}

function pct(xs, p) {
  return xs.length ? xs[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))] : 0;
}

fs.mkdirSync(path.join(WORK, 'bin'), { recursive: true });
const BENCH_IO = path.join(WORK, 'bin', 'bench-io');
execFileSync('cc', ['-O2', '-pthread', '-o', BENCH_IO, path.join(ROOT, 'bench', 'rtp', 'bench-io.c')]);
fs.mkdirSync(MNT, { recursive: true });
execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((FILES * THREADS.length * 4096 * 1.2) / (1 << 20)) + 64}m,mode=1777`, 'tmpfs', MNT]);
mounted = true;

const results = [];
try {
  for (const [i, threads] of THREADS.entries()) {
    const dir = path.join(MNT, `set${i}`);
    fs.mkdirSync(dir, { mode: 0o1777 });
    fs.chmodSync(dir, 0o1777);
    io('write', dir, FILES, 4096);  // before the group exists: no events
    const respondNs = [];
    let events = 0;
    const answer = (e) => {
      const t0 = process.hrtime.bigint();
      group.respond(e.id, true, MARK ? { ignoreMark: true } : undefined);
      respondNs.push(Number(process.hrtime.bigint() - t0));
      fs.closeSync(e.fd);
    };
    group = openFanotifyGroup({
      pendingCapacity: 4096,
      jsQueueBatches: 8192,
      onEvents(batch) {
        for (const e of batch) {
          if (e.kind === 'close_write') {
            fs.closeSync(e.fd);
            continue;
          }
          events++;
          if (DEFER) setImmediate(answer, e);
          else answer(e);
        }
      },
    });
    group.addMark(MNT);
    const [storm] = await ioAsync('storm', dir, FILES, threads);
    const st = group.stats();
    group.close();
    group = null;
    respondNs.sort((a, b) => a - b);
    const r = {
      threads, files: FILES, mark: MARK, defer: DEFER, ok: storm.ok, totalMs: storm.total_ms,
      opensPerS: Math.round(FILES / (storm.total_ms / 1000)),
      openP50Us: storm.p50_ns / 1000, openP99Us: storm.p99_ns / 1000,
      respondP50Us: pct(respondNs, 0.5) / 1000, respondP99Us: pct(respondNs, 0.99) / 1000,
      events, batches: st.reader.batches, native: st.answeredNatively,
    };
    results.push(r);
    log(JSON.stringify(r));
  }
} finally {
  cleanup();
}
process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);

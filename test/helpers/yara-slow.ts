// test/helpers/yara-slow.ts — the slow-YARA attack of issue #11 (finding 2) for the tests: a
// rule whose chained hex string makes YARA's matcher quadratic, a file that triggers it (built
// at run time in the writer process), a writer that runs as the unprivileged user
// wdavtest-other, and the daemon's CPU time read from /proc (to see a burn stop).
// Without a time limit, libyara (and YARA-X before it) spends minutes at 100% CPU on this pair.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TestDaemon } from './daemon.js';

/** Atoms `a`, `b`, `c` are everywhere in the file; each `a` opens up to 50,000 candidate spans. */
export const SLOW_RULE = 'rule Slow_Chain { strings: $a = { 61 [0-50000] 62 [0-50000] 63 } condition: $a }\n';

/** JavaScript that builds the slow file's content: 2,000,000 bytes of ('a'*50 + 'b'*50) repeated. */
export const SLOW_CONTENT_JS = `('a'.repeat(50) + 'b'.repeat(50)).repeat(20000)`;

export function slowBytes(): Buffer {
  return Buffer.from(('a'.repeat(50) + 'b'.repeat(50)).repeat(20000), 'latin1');
}

/** uid/gid of wdavtest-other (created by .ci/run), or null when the user does not exist. */
export function otherUser(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'wdavtest-other'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'wdavtest-other'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

export const skipOther = process.getuid?.() !== 0 ? 'needs root: mounts and other uids' : otherUser() === null ? 'user wdavtest-other does not exist (.ci/run creates it)' : false;

/**
 * Writes `file` as wdavtest-other from a child process: `js` is an expression evaluated there
 * (the content is built in the writer: 2 MB do not fit in one argv string).
 */
export function writeAsOther(file: string, js: string): Promise<void> {
  const u = otherUser()!;
  return new Promise((resolve, reject) => {
    const p = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', `require('fs').writeFileSync(process.argv[1], ${js})`, file], {
      uid: u.uid, gid: u.gid, stdio: ['ignore', 'ignore', 'pipe'], timeout: 15000, killSignal: 'SIGKILL',
    });
    let err = '';
    p.stderr!.on('data', (c) => (err += c));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer failed (${code}): ${err}`))));
  });
}

/** User + system CPU time of `pid` so far, in seconds (/proc/PID/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds `pid` uses over the next `ms` milliseconds. */
/** The pid of the daemon's scanner process (YARA runs there), from health details. */
export async function scannerPid(d: { api(method: string, p: string): Promise<{ json: any }> }): Promise<number> {
  const h = await d.api('GET', '/v1/health?details=features');
  const pid = h.json.fields.scanner?.pid;
  if (typeof pid !== 'number') throw new Error(`no scanner pid in health: ${JSON.stringify(h.json.fields.scanner)}`);
  return pid;
}

export async function cpuOver(pid: number, ms: number): Promise<number> {
  const a = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, ms));
  return cpuSeconds(pid) - a;
}

/**
 * As wdavtest-other: writes `data` to `file`, closes it, and at once opens it again to read —
 * what a user does who drops a file and runs it. Resolves what the read saw.
 */
export function writeThenReadAsOther(file: string, data: Buffer): Promise<{ write: string; read: string; ms: number }> {
  const u = otherUser()!;
  const js = `const fs = require('fs'); const [p, b64] = process.argv.slice(1); let write = 'ok', read = 'ok';
try { fs.writeFileSync(p, Buffer.from(b64, 'base64')); } catch (e) { write = e.code; }
const t0 = Date.now(); try { fs.readFileSync(p); } catch (e) { read = e.code; }
console.log(JSON.stringify({ write, read, ms: Date.now() - t0 }));`;
  return new Promise((resolve, reject) => {
    const p = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', js, file, data.toString('base64')], {
      uid: u.uid, gid: u.gid, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000, killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    p.stdout!.on('data', (c) => (out += c));
    p.stderr!.on('data', (c) => (err += c));
    p.on('close', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`writer failed (${code}): ${out} ${err}`));
      }
    });
  });
}

/**
 * A daemon (no RTP) with the slow rule loaded and the slow file written, for the on-demand
 * tests; `scanTimeLimitMs` through the managed configuration.
 */
export async function slowScanDaemon(t: { teardown(fn: () => unknown): void }, scanTimeLimitMs: number): Promise<{ d: TestDaemon; slow: string }> {
  const d = await TestDaemon.start(t, { managed: { wdavdaemon: { scanTimeLimitMs } } });
  fs.writeFileSync(path.join(d.customDefs, 'slow.yar'), SLOW_RULE);
  const r = await d.mdatp(['definitions', 'reload']);
  if (r.code !== 0) throw new Error(`mdatp definitions reload failed: ${r.stderr}`);
  const slow = path.join(d.dir, 'slow.txt');
  fs.writeFileSync(slow, slowBytes());
  return { d, slow };
}

// test/helpers/rtp.ts — shared setup for the real-time protection integration tests: a real
// daemon (dist/) whose RTP covers only a tmpfs the test mounted (--rtp-path), custom signatures
// written before it starts, writers/openers that run as another uid in child processes (the
// runner never touches the marked mount itself), and small readers of health, statistics and
// threats. Reuses the fanotify harness (tmpfs, openAs, execAs, until) of test/native/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { TestDaemon, isRoot, type TestDaemonOptions } from './daemon.js';
import { eicar } from './archive-fixtures.js';
import { loadNative } from '../../src/shared/native.js';

export { eicar };
export { tmpfs, put, openAs, opener, execAs, until, sleep, blockedOnFanotify, NOBODY, startListener } from '../native/fanotify-harness.js';

type T = { teardown(fn: () => unknown): void };

function fanotifySkip(): string | false {
  if (process.platform !== 'linux') return 'fanotify is Linux-only';
  if (!isRoot) return 'needs root: fanotify, mounts and other uids';
  if (!loadNative().features.fanotify) return 'native addon built without fanotify';
  return false;
}
export const skipFanotify = fanotifySkip();
export const skipRoot = process.platform !== 'linux' ? 'Linux-only' : !isRoot ? 'needs root: mounts and other uids' : false;

/** A marker that the custom signature below detects (assembled, so this file never matches). */
export const MARKER = ['WDAV', 'RTP', 'TEST', 'MALWARE', '7f3c'].join('_');
export const MARKER_NAME = 'Test.RtpMarker';

export interface RtpDaemonOptions extends TestDaemonOptions {
  /** The RTP paths (--rtp-path). */
  paths: string[];
  backend: 'fanotify' | 'chokidar' | 'auto';
}

/** Starts a daemon protecting `paths`, with the marker signature as a custom definition. */
export async function startRtpDaemon(t: T, o: RtpDaemonOptions): Promise<TestDaemon> {
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-rtp-'));
  if (!o.dir) t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const defs = path.join(dir, 'definitions.d');
  fs.mkdirSync(defs, { recursive: true });
  fs.writeFileSync(path.join(defs, 'rtp-test.ndb'), `${MARKER_NAME}:0:*:${Buffer.from(MARKER).toString('hex')}\n`);
  return TestDaemon.start(t, { ...o, dir, rtpBackend: o.backend, args: [...o.paths.flatMap((p) => ['--rtp-path', p]), ...(o.args ?? [])] });
}

export interface Health {
  fields: Record<string, any>;
  features: Record<string, any>;
}

export async function health(d: TestDaemon): Promise<Health> {
  const h = await d.api('GET', '/v1/health');
  const f = await d.api('GET', '/v1/health?details=features');
  return { fields: h.json.fields, features: f.json.fields };
}

export async function counters(d: TestDaemon): Promise<Record<string, number>> {
  return (await health(d)).features.real_time_protection_counters;
}

export interface ThreatRow {
  id: string;
  name: string;
  path: string;
  status: string;
  source: string;
  process: { pid: number | null; name: string | null; uid: number | null } | null;
}

export async function threats(d: TestDaemon): Promise<ThreatRow[]> {
  const r = await d.mdatp(['threat', 'list', '--output', 'json']);
  if (r.code !== 0) throw new Error(`mdatp threat list failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ThreatRow[];
}

/** Writes `data` to `file` from a child process running as `uid` (never from the runner). */
export function writeAs(file: string, data: Buffer | string, uid = 65534): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], Buffer.from(process.argv[2], "base64"), { mode: 0o755 })', file, Buffer.from(data).toString('base64')], {
      uid, gid: uid, stdio: ['ignore', 'ignore', 'pipe'], timeout: 15000, killSignal: 'SIGKILL',
    });
    let err = '';
    p.stderr!.on('data', (c) => (err += c));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer failed (${code}): ${err}`))));
  });
}

/** An ELF executable that prints "ran"; `extra` is embedded in its data (printed only with an argument). */
export function buildProgram(out: string, extra = ''): void {
  const src = `${out}.c`;
  fs.writeFileSync(src, `#include <stdio.h>\nconst char tag[] = "${extra}";\nint main(int argc, char **argv) { (void)argv; if (argc > 1) puts(tag); puts("ran"); return 0; }\n`);
  execFileSync('cc', ['-O1', '-o', out, src]);
  fs.rmSync(src);
  fs.chmodSync(out, 0o755);
}

/** A tmpfs of `sizeMb` under /tmp (for many files), world-writable; unmounted in teardown. */
export function bigTmpfs(t: T, sizeMb: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-rtpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=1777`, 'tmpfs', dir]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A plain temp directory (chokidar needs no mount of its own), world-writable; removed in teardown. */
export function watchedDir(t: T): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-watch-'));
  fs.chmodSync(dir, 0o1777);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

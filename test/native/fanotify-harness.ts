// test/native/fanotify-harness.ts — shared setup for the real-fanotify tests: a private tmpfs
// per test, the listener child process (fixtures/fanotify-listener.ts), and openers that run as
// another uid. The runner itself never opens files on a marked mount (a native bug must not
// freeze it): every access after marking happens in a child process with a kill timeout.
// Owns: mounts and processes it starts (torn down in t.teardown). Must not: mark anything else.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/shared/native.js';
import type { FanotifyStats } from '../../src/rtp/fanotify/native.js';
import { tsLoaderArgs } from '../helpers/ts-loader.js';

type T = { teardown(fn: () => unknown): void };

export const NOBODY = 65534;

function computeSkip(): string | false {
  if (process.platform !== 'linux') return 'fanotify is Linux-only';
  if (process.getuid?.() !== 0) return 'needs root: fanotify_init, mount and other uids';
  if (!loadNative().features.fanotify) return 'native addon built without fanotify';
  return false;
}
export const skip = computeSkip();

/** Mounts a fresh tmpfs under /tmp, world-traversable; unmounted in teardown. */
export function tmpfs(t: T): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-fan-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=1777', 'tmpfs', dir]);
  t.teardown(() => {
    try { execFileSync('umount', ['-l', dir]); } catch { /* already gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a file before the listener marks the mount (so no event is generated). */
export function put(file: string, content: string, mode = 0o644): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
  return file;
}

export interface ListenerEvent {
  type: 'event'; id: number; kind: string; pid: number; path: string; size: number; ino: string;
  epoch: number; verdict?: string; responded?: boolean; content?: string; marked?: string;
}

export interface ListenerConfig {
  mount: string; scope?: string[]; timeoutMs?: number; defaultResponse?: 'allow' | 'deny';
  pendingCapacity?: number; closeWriteCapacity?: number; jsQueueBatches?: number; ignoreMark?: boolean;
  filesystemMark?: boolean; answerEmpty?: boolean; markCleanOnWrite?: boolean;
}

export class Listener {
  readonly events: ListenerEvent[] = [];
  mountNotices = 0;
  pid = 0;
  info: Record<string, unknown> = {};
  private seq = 0;
  private waiters = new Map<number, (m: { ok: boolean; value?: unknown; error?: string }) => void>();
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: { type: string; seq?: number } & Record<string, unknown>) => {
      if (m.type === 'event') this.events.push(m as unknown as ListenerEvent);
      else if (m.type === 'mounts') this.mountNotices++;
      else if (m.type === 'reply') this.waiters.get(m.seq!)?.(m as never);
    });
  }
  request<V = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<V> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiters.set(seq, (m) => {
        this.waiters.delete(seq);
        if (m.ok) resolve(m.value as V);
        else reject(new Error(m.error));
      });
      this.proc.send({ seq, cmd, ...args });
    });
  }
  stats(): Promise<FanotifyStats> { return this.request<FanotifyStats>('stats'); }
  /** Freezes the listener's JS thread until the returned function is called (at most 20 s). */
  async stall(): Promise<() => void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-stall-'));
    const flag = path.join(dir, 'go');
    const release = (): void => {
      if (fs.existsSync(dir)) fs.writeFileSync(flag, '');
    };
    this.stallDirs.push(dir);
    await this.request('stall', { ms: 20000, until: flag });
    this.releases.push(release);
    return release;
  }
  readonly releases: Array<() => void> = [];
  readonly stallDirs: string[] = [];
  kill(): void { if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL'); }
}

// Children start through `env -u NODE_OPTIONS`: tap injects its process-info hook into every
// child via NODE_OPTIONS, which slows them down and fails for another uid (no access to .tap/).
const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts the listener child on cfg.mount and waits until its marks are in place. */
export async function startListener(t: T, cfg: ListenerConfig): Promise<Listener> {
  const proc = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, ...tsLoaderArgs,
    path.join(here, 'fixtures', 'fanotify-listener.ts'), JSON.stringify(cfg)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const l = new Listener(proc);
  t.teardown(() => {
    for (const r of l.releases) r();
    l.kill();
    for (const d of l.stallDirs) fs.rmSync(d, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('listener did not start')), 20000);
    proc.on('message', (m: { type: string; pid: number; info: Record<string, unknown> }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      l.pid = m.pid;
      l.info = m.info;
      resolve();
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`listener exited (${code})`)); });
  });
  return l;
}

export interface Outcome { ok: boolean; code?: string; data?: string; ms: number }

const OPENER = `
const fs = require('fs'); const [p, mode, data] = process.argv.slice(1); const t0 = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
try {
  let out;
  if (mode === 'read') out = fs.readFileSync(p, 'latin1').slice(0, 200);
  else if (mode === 'append') fs.appendFileSync(p, data);
  else fs.writeFileSync(p, data);
  console.log(JSON.stringify({ ok: true, data: out, ms: ms() }));
} catch (e) { console.log(JSON.stringify({ ok: false, code: e.code, ms: ms() })); }`;

/** Starts a process (as `uid`) that reads, appends to or writes `file`; `done` resolves with what it saw. */
export function opener(file: string, opts: { uid?: number; mode?: 'read' | 'append' | 'write'; data?: string } = {}):
  { proc: ChildProcess; done: Promise<Outcome> } {
  const uid = opts.uid ?? NOBODY;
  const proc = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', OPENER, file, opts.mode ?? 'read', opts.data ?? ''], {
    uid, gid: uid, stdio: ['ignore', 'pipe', 'inherit'], timeout: 15000, killSignal: 'SIGKILL',
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  const done = new Promise<Outcome>((resolve, reject) => {
    proc.on('close', (code, sig) => {
      try { resolve(JSON.parse(out) as Outcome); } catch { reject(new Error(`opener died (${code ?? sig}): ${out}`)); }
    });
  });
  return { proc, done };
}

export const openAs = (file: string, opts?: Parameters<typeof opener>[1]): Promise<Outcome> => opener(file, opts).done;

/** execve(file) as `uid`: ok with stdout, or the errno code of the failed exec. */
export function execAs(file: string, uid = NOBODY): Promise<{ ok: boolean; code?: string; stdout: string }> {
  return new Promise((resolve) => {
    let proc: ChildProcess;
    try {
      proc = spawn(file, [], { uid, gid: uid, stdio: ['ignore', 'pipe', 'inherit'], timeout: 15000, killSignal: 'SIGKILL' });
    } catch (e) {
      resolve({ ok: false, code: (e as NodeJS.ErrnoException).code, stdout: '' });  // execve refused synchronously
      return;
    }
    let stdout = '';
    proc.stdout!.on('data', (d) => { stdout += d; });
    proc.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code, stdout }));
    proc.on('close', (code) => resolve({ ok: code === 0, stdout }));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True while `pid` sleeps in the kernel waiting for a fanotify permission answer. */
export function blockedOnFanotify(pid: number | undefined): boolean {
  try { return fs.readFileSync(`/proc/${pid}/wchan`, 'utf8').trim() === 'fanotify_handle_event'; } catch { return false; }
}

/** Polls `fn` until it returns truthy or `ms` pass. */
export async function until<V>(fn: () => V | Promise<V>, ms = 5000): Promise<V> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(20);
  }
}

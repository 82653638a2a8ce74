// src/scanner/process.ts — the broker's handle on one wdav-scanner process: spawns it (as root
// it confines itself to the scanner user; see native/scanner/sandbox.h), sends it one request at
// a time over the socket pair, and supervises it: a crash or a stuck request (no reply by its
// deadline: the process is killed) is logged with the file being scanned, the process comes
// back with backoff and gets the last rule bundle again. Requests in flight at a crash fail with
// WDAV_ERR_SCANNER; the caller decides what that means for its verdict (the deadline rule).
// Owns: the child process, its socket, its request queue (bounded) and its restart policy.
// Must not: decide verdicts or know about fanotify.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import PQueue from 'p-queue';
import { WdavError } from '../shared/errors.js';
import { packageRoot } from '../shared/paths.js';
import type { ScannerLinkBinding } from './link.js';
import { Op, Status, request, reply, yaraBundle, scanArgs, pathArg, type OpCode, type YaraUnit, type Reply } from './protocol.js';

export const SCANNER_EXECUTABLE = path.join(packageRoot(), 'build', 'Release', 'wdav-scanner');

export interface ScannerOptions {
  uid: number;
  gid: number;
  link: ScannerLinkBinding;
  logger: Logger<'verbose'> | Logger;
  memoryLimitMb?: number;
  /** Only tests: kTestOpen and the crash marker (docs/scanner.md). */
  testHooks?: boolean;
  executable?: string;
  /** Requests waiting beyond this are refused at once (WDAV_ERR_BUSY). */
  queueCapacity?: number;
  /** Restart delays after consecutive crashes; the last one repeats. */
  backoffMs?: readonly number[];
}

export type ScannerState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface ScannerCrash {
  at: string;
  exitCode: number | null;
  signal: string | null;
  /** The file being scanned when it crashed, when the caller named it. */
  file: string | null;
  reason: 'exited' | 'stuck';
}

export interface ScannerHealth {
  pid: number | null;
  uid: number;
  state: ScannerState;
  restarts: number;
  lastCrash: ScannerCrash | null;
}

export interface YaraLoad {
  loaded: number;
  rules: number;
  errors: { file: string; line: number; message: string }[];
}

export interface ScannerScan {
  status: 'ok' | 'timeout' | 'cancelled';
  elapsedUs: number;
  matches: { rule: string; namespace: string }[];
}

interface Generation {
  child: ChildProcess;
  fd: number;
  exited: boolean;
  /** Killed by us because a request got no answer by its deadline. */
  stuck: boolean;
  /** The file of the request in flight; kept when it failed, so a crash can name it. */
  busyFile: string | null;
  /** Settles when the exchange in flight (if any) is over: only then is fd closed. */
  inflight: Promise<unknown>;
}

const HEALTHY_AFTER_MS = 60_000;

export class ScannerProcess {
  private gen: Generation | null = null;
  private state: ScannerState = 'stopped';
  private restarts = 0;
  private crashesInARow = 0;
  private lastCrash: ScannerCrash | null = null;
  private bundle: Buffer | null = null;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly stderrTail: string[] = [];
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly o: ScannerOptions) {}

  /** Spawns the scanner and waits for its first answer. Throws WDAV_ERR_SCANNER with its stderr. */
  async start(): Promise<void> {
    if (this.state !== 'stopped') throw new WdavError('WDAV_ERR_CONFLICT', 'the scanner is already started');
    this.state = 'starting';
    await this.spawnOne();
  }

  health(): ScannerHealth {
    return { pid: this.gen && !this.gen.exited ? (this.gen.child.pid ?? null) : null, uid: this.o.uid, state: this.state, restarts: this.restarts, lastCrash: this.lastCrash };
  }

  /** Compiles rules in the scanner; the bundle is kept and loaded again after a restart. */
  async loadYara(units: readonly YaraUnit[]): Promise<YaraLoad> {
    const bundle = yaraBundle(units);
    const r = await this.withFd(bundle, (fd) => this.call(Op.loadYara, fd, 120_000, null));
    if (r.status !== Status.ok && r.status !== Status.noRules) throw this.failed(r);
    const load = this.readLoad(r);
    if (r.status === Status.noRules) {
      const first = load.errors[0];
      throw new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `no YARA rule compiled${first ? `: ${first.file}:${first.line}: ${first.message}` : ''}; the previous rules stay`, { errors: load.errors });
    }
    this.bundle = bundle;
    return load;
  }

  /** Scans the open file `fd` (the caller keeps and closes it) with a YARA time limit. */
  async scan(fd: number, opts: { limitMs: number; maxBytes: number; file?: string }): Promise<ScannerScan> {
    const r = await this.call(Op.scan, fd, opts.limitMs + 5_000, opts.file ?? null, scanArgs(opts.limitMs, opts.maxBytes));
    const elapsedUs = r.status === Status.ok || r.status === Status.timeout || r.status === Status.cancelled ? r.body.u32() : 0;
    if (r.status === Status.timeout) return { status: 'timeout', elapsedUs, matches: [] };
    if (r.status === Status.cancelled) return { status: 'cancelled', elapsedUs, matches: [] };
    if (r.status !== Status.ok) throw this.failed(r);
    const n = r.body.u32();
    const matches: ScannerScan['matches'] = [];
    for (let i = 0; i < n; i++) matches.push({ rule: r.body.str(1024), namespace: r.body.str(256) });
    return { status: 'ok', elapsedUs, matches };
  }

  /** Test hook: the errno of open(path) inside the scanner (0: it opened). */
  async testOpen(p: string): Promise<number> {
    const r = await this.call(Op.testOpen, -1, 5_000, null, pathArg(p));
    if (r.status !== Status.ok) throw this.failed(r);
    return r.body.u32();
  }

  /** Resolves when the scanner is running again (after a restart), or at once. */
  ready(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.queue.clear();
    const g = this.gen;
    this.gen = null;
    if (g && !g.exited) {
      const exited = new Promise<void>((resolve) => g.child.once('exit', () => resolve()));
      g.child.kill('SIGKILL');
      await exited;
    }
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private async spawnOne(): Promise<void> {
    const [brokerFd, childFd] = this.o.link.scannerSocketPair();
    const args = ['--uid', String(this.o.uid), '--gid', String(this.o.gid), '--memory-limit-mb', String(this.o.memoryLimitMb ?? 1024)];
    if (this.o.testHooks) args.push('--test-hooks');
    let child: ChildProcess;
    try {
      child = spawn(this.o.executable ?? SCANNER_EXECUTABLE, args, { stdio: ['ignore', 'ignore', 'pipe', childFd] });
    } finally {
      fs.closeSync(childFd);
    }
    const g: Generation = { child, fd: brokerFd, exited: false, stuck: false, busyFile: null, inflight: Promise.resolve() };
    this.gen = g;
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      for (const line of c.split('\n').filter(Boolean)) {
        this.stderrTail.push(line.slice(0, 500));
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        this.o.logger.warn({ scannerPid: child.pid }, `scanner: ${line.slice(0, 500)}`);
      }
    });
    child.on('error', (err) => this.o.logger.error({ err }, 'scanner: could not be started'));
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.on('exit', (code, signal) => this.onExit(g, code, signal));
    try {
      await spawned;
      const r = await this.exchange(g, Op.ping, -1, 5_000);
      if (r.status !== Status.ok) throw this.failed(r);
    } catch (e) {
      if (!g.exited) g.child.kill('SIGKILL');
      throw new WdavError('WDAV_ERR_SCANNER', `the scanner did not start: ${this.stderrTail.at(-1) ?? (e as Error).message}`, undefined, { cause: e });
    }
    if (this.bundle) {
      const bundle = this.bundle;
      await this.withFd(bundle, (fd) => this.exchange(g, Op.loadYara, fd, 120_000));
    }
    this.startedAt = Date.now();
    if (this.state !== 'stopped') this.state = 'running';
    this.o.logger.info({ scannerPid: child.pid, uid: this.o.uid }, 'scanner: running');
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private onExit(g: Generation, code: number | null, signal: NodeJS.Signals | null): void {
    g.exited = true;
    void g.inflight.finally(() => fs.closeSync(g.fd));
    if (this.gen !== g || this.state === 'stopped') return;
    this.gen = null;
    const crash: ScannerCrash = { at: new Date().toISOString(), exitCode: code, signal, file: g.busyFile, reason: g.stuck ? 'stuck' : 'exited' };
    this.lastCrash = crash;
    if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.crashesInARow = 0;
    this.o.logger.error({ code: 'WDAV_ERR_SCANNER', exitCode: code, signal, file: crash.file, reason: crash.reason },
      crash.file ? `scanner crashed on ${crash.file}` : 'scanner crashed');
    this.scheduleRestart();
  }

  /** Restarts after the backoff of the current run of crashes; a failed start counts as one. */
  private scheduleRestart(): void {
    this.crashesInARow++;
    const backoff = this.o.backoffMs ?? [50, 250, 1_000, 5_000, 30_000];
    const delay = backoff[Math.min(this.crashesInARow - 1, backoff.length - 1)]!;
    this.state = 'restarting';
    this.o.logger.info({ restartInMs: delay, crashesInARow: this.crashesInARow }, 'scanner: restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state === 'stopped') return;
      this.restarts++;
      this.spawnOne().catch((err) => {
        this.o.logger.error({ err, code: 'WDAV_ERR_SCANNER' }, 'scanner: restart failed');
        if (this.state !== 'stopped') this.scheduleRestart();
      });
    }, delay);
  }

  /** One request through the queue, against the scanner running when its turn comes. */
  private call(op: OpCode, fd: number, timeoutMs: number, file: string | null, payload?: Parameters<typeof request>[2]): Promise<Reply> {
    if (this.queue.size >= (this.o.queueCapacity ?? 1024)) return Promise.reject(new WdavError('WDAV_ERR_BUSY', 'the scanner queue is full'));
    return this.queue.add(async () => {
      if (this.state === 'stopped') throw new WdavError('WDAV_ERR_SCANNER', 'the scanner is stopped');
      const g = this.gen;
      if (!g || g.exited || this.state !== 'running') throw new WdavError('WDAV_ERR_SCANNER', `the scanner is ${this.state}`);
      g.busyFile = file;
      const r = await this.exchange(g, op, fd, timeoutMs, payload);
      g.busyFile = null;
      return r;
    }, { throwOnTimeout: true }) as Promise<Reply>;
  }

  private async exchange(g: Generation, op: OpCode, fd: number, timeoutMs: number, payload?: Parameters<typeof request>[2]): Promise<Reply> {
    const id = this.nextId++ >>> 0;
    const pending = this.o.link.scannerExchange(g.fd, request(op, id, payload), fd, timeoutMs);
    g.inflight = pending.catch(() => undefined);
    let buf: Buffer;
    try {
      buf = await pending;
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      // The process is gone or about to be killed: nothing more is sent to it, and ready()
      // waits for its successor (its exit event may come after this rejection).
      if (this.gen === g && this.state === 'running') this.state = 'restarting';
      if (errno === 110 /* ETIMEDOUT */ && !g.exited) {
        // No answer past its own time limit: the scanner is stuck; it is killed and restarted.
        g.stuck = true;
        g.child.kill('SIGKILL');
        throw new WdavError('WDAV_ERR_SCANNER', `the scanner did not answer within ${timeoutMs} ms${g.busyFile ? ` (scanning ${g.busyFile})` : ''}; restarted`, undefined, { cause: e });
      }
      throw new WdavError('WDAV_ERR_SCANNER', `the scanner is gone${g.busyFile ? ` (it was scanning ${g.busyFile})` : ''}`, { file: g.busyFile }, { cause: e });
    }
    try {
      return reply(buf, op, id);
    } catch (e) {
      // A malformed reply means the scanner is not the program we started: replace it.
      if (!g.exited) g.child.kill('SIGKILL');
      throw new WdavError('WDAV_ERR_SCANNER', `the scanner sent a malformed reply: ${(e as Error).message}`, undefined, { cause: e });
    }
  }

  private readLoad(r: Reply): YaraLoad {
    const loaded = r.body.u32();
    const rules = r.body.u32();
    const n = r.body.u32();
    const errors: YaraLoad['errors'] = [];
    for (let i = 0; i < n; i++) errors.push({ file: r.body.str(1024), line: r.body.u32(), message: r.body.str(1024) });
    return { loaded, rules, errors };
  }

  private failed(r: Reply): WdavError {
    let message = `scanner status ${r.status}`;
    try {
      message = r.body.str(4096);
    } catch {
      // no message in the reply
    }
    const code = r.status === Status.badRequest ? 'WDAV_ERR_BAD_REQUEST' : r.status === Status.noRules ? 'WDAV_ERR_DEFINITIONS_INVALID' : 'WDAV_ERR_SCANNER';
    return new WdavError(code, message);
  }

  /** Runs `fn` with a sealed memfd holding `bytes` (the scanner reads it from offset 0). */
  private async withFd<T>(bytes: Buffer, fn: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.o.link.scannerMemfd(bytes);
    try {
      return await fn(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

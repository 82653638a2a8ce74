// src/scanner/process.ts — the broker's handle on one wdav-scanner process: spawns it (as root
// it confines itself to the scanner user; see native/scanner/sandbox.h), keeps up to
// `maxInFlight` requests in flight on the socket pair (replies come back by id, in the order the
// scanner's threads finish them), and supervises it: a crash or a stuck request (no reply by its
// deadline: the process is killed) is logged with the files being scanned, the process comes
// back with backoff and gets every rule set it held again. Requests in flight at a crash fail
// with WDAV_ERR_SCANNER; the caller decides what that means for its verdict (the deadline rule).
// Owns: the child process, its socket, its request queue (bounded) and its restart policy.
// Must not: decide verdicts or know about fanotify.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import PQueue from 'p-queue';
import { WdavError } from '../shared/errors.js';
import { packageRoot } from '../shared/paths.js';
import type { ContentLink, ContentStats, ScannerLinkBinding, ScannerListener } from './link.js';
import { Op, ReplyReader, Status, request, reply, yaraBundle, scanArgs, pathArg, u32Arg, type OpCode, type YaraUnit, type Reply } from './protocol.js';

export const SCANNER_EXECUTABLE = path.join(packageRoot(), 'build', 'Release', 'wdav-scanner');

export interface ScannerOptions {
  uid: number;
  gid: number;
  link: ScannerLinkBinding;
  logger: Logger<'verbose'> | Logger;
  memoryLimitMb?: number;
  /** Scan threads in the scanner: per content socket, and its YARA pool's (real-time may use all of those, on-demand half). Default 4. */
  threads?: number;
  /** Requests sent and not yet answered at most; more wait in the queue. Default 64. */
  maxInFlight?: number;
  /** Only tests: kTestOpen and the crash marker (docs/scanner.md). */
  testHooks?: boolean;
  executable?: string;
  /** Requests waiting beyond this are refused at once (WDAV_ERR_BUSY). Default 1024. */
  queueCapacity?: number;
  /** Restart delays after consecutive crashes; the last one repeats. */
  backoffMs?: readonly number[];
}

export type ScannerState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface ScannerCrash {
  at: string;
  exitCode: number | null;
  signal: string | null;
  /** The file being scanned when it crashed (the oldest in flight), when the caller named it. */
  file: string | null;
  /** Every named file in flight at the crash (at most 10). */
  inFlight: string[];
  reason: 'exited' | 'stuck' | 'protocol';
}

export interface ScannerHealth {
  pid: number | null;
  uid: number;
  state: ScannerState;
  threads: number;
  restarts: number;
  inFlight: number;
  queued: number;
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
  matches: { rule: string; namespace: string; meta: Record<string, string | number | boolean> }[];
}

export interface ScanRequest {
  /** The rule set (loadYara's `set`). Default 0. */
  set?: number;
  limitMs: number;
  maxBytes: number;
  /** Milliseconds from now by which the scan ends, time waiting for a thread included. */
  deadlineMs?: number;
  realTime?: boolean;
  /** Named in logs and health when the scanner crashes or hangs on it. */
  file?: string;
  /** Aborting asks the scanner to stop this scan (its reply then says cancelled). */
  signal?: AbortSignal;
}

interface Pending {
  op: OpCode;
  file: string | null;
  timer?: NodeJS.Timeout;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

interface Generation {
  child: ChildProcess;
  fd: number;
  /** The broker's ends of the content sockets (real time, on demand) until they are attached to the content link (then empty). */
  contentFds: number[];
  contentAttached: boolean;
  /** The named files the content pass had in flight when the link ended. */
  contentLost: string[];
  listener: ScannerListener | null;
  exited: boolean;
  fdClosed: boolean;
  /** Why we killed it, when we did. */
  killedFor: 'stuck' | 'protocol' | null;
  pending: Map<number, Pending>;
  /** The named files in flight when the link ended (before they were failed). */
  filesAtEnd: string[] | null;
  threads: number;
}

const HEALTHY_AFTER_MS = 60_000;
const EAGAIN = 11;

export class ScannerProcess {
  private gen: Generation | null = null;
  private state: ScannerState = 'stopped';
  private restarts = 0;
  private crashesInARow = 0;
  private lastCrash: ScannerCrash | null = null;
  /** The rule bundles of the sets loaded, by set id: loaded again after a restart. */
  private readonly sets = new Map<number, Buffer>();
  /** The native client of the content pass: attached to each scanner process once it holds the plans. */
  private readonly content: ContentLink;
  /** Scan plans the scanner holds, by id (their sealed bundles): loaded again after a restart. */
  private readonly plans = new Map<number, { fd: number }>();
  private readonly planIds = new WeakMap<object, number>();
  private nextPlan = 1;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly queue: PQueue;
  private readonly stderrTail: string[] = [];
  private readyWaiters: (() => void)[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly o: ScannerOptions) {
    this.queue = new PQueue({ concurrency: o.maxInFlight ?? 64 });
    this.content = o.link.contentLink();
  }

  /** Spawns the scanner and waits for its first answer. Throws WDAV_ERR_SCANNER with its stderr. */
  async start(): Promise<void> {
    if (this.state !== 'stopped') throw new WdavError('WDAV_ERR_CONFLICT', 'the scanner is already started');
    this.state = 'starting';
    try {
      await this.spawnOne();
    } catch (e) {
      this.state = 'stopped';
      throw e;
    }
  }

  health(): ScannerHealth {
    const g = this.gen;
    return {
      pid: g && !g.exited ? (g.child.pid ?? null) : null,
      uid: this.o.uid,
      state: this.state,
      threads: g?.threads ?? this.o.threads ?? 4,
      restarts: this.restarts,
      inFlight: g?.pending.size ?? 0,
      queued: this.queue.size,
      lastCrash: this.lastCrash,
    };
  }

  /**
   * Compiles rules into set `set` in the scanner (replacing one of that id); the bundle is kept
   * and loaded again after a restart. Nothing compiled → WDAV_ERR_DEFINITIONS_INVALID, and the
   * set keeps what it had.
   */
  async loadYara(units: readonly YaraUnit[], set = 0): Promise<YaraLoad> {
    const bundle = yaraBundle(units);
    const r = await this.withFd(bundle, (fd) => this.call(Op.loadYara, fd, 300_000, null, u32Arg(set)));
    if (r.status !== Status.ok && r.status !== Status.noRules) throw this.failed(r);
    const load = this.readLoad(r);
    if (r.status === Status.noRules) {
      const first = load.errors[0];
      throw new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `no YARA rule compiled${first ? `: ${first.file}:${first.line}: ${first.message}` : ''}; the previous rules stay`, { errors: load.errors });
    }
    this.sets.set(set, bundle);
    return load;
  }

  /** Frees rule set `set` (scans running on it finish first). */
  async release(set: number): Promise<void> {
    this.sets.delete(set);
    if (this.state !== 'running') return;
    await this.call(Op.release, -1, 10_000, null, u32Arg(set)).catch(() => undefined);
  }

  /**
   * Makes the scanner hold `plan` (a native scan plan: digests, Vectorscan, archive proofs), and
   * sends the native scans on it there from now on (native/core/content_link.h). Kept and loaded
   * again after a restart. A scanner that is away gets it when it is back.
   */
  async loadPlan(plan: object): Promise<void> {
    if (this.planIds.has(plan)) return;
    const id = this.nextPlan++;
    const fd = this.o.link.scanPlanBundle(plan);
    this.plans.set(id, { fd });
    this.planIds.set(plan, id);
    if (this.state === 'running') {
      let r: Reply | undefined;
      try {
        r = await this.call(Op.loadPlan, fd, 60_000, null, u32Arg(id));
      } catch (e) {
        // Gone meanwhile: the restart loads it. Anything else is this plan's problem.
        if (!(e instanceof WdavError && e.code === 'WDAV_ERR_SCANNER')) throw this.dropPlan(plan, e);
      }
      if (r && r.status !== Status.ok) throw this.dropPlan(plan, this.failed(r));
    }
    if (this.planIds.get(plan) === id) this.o.link.scanPlanRemote(plan, this.content, id);
  }

  /** The scanner forgets `plan`; scans on it are done here again (there should be none left). */
  async releasePlan(plan: object): Promise<void> {
    const id = this.planIds.get(plan);
    if (id === undefined) return;
    this.dropPlan(plan);
    if (this.state !== 'running') return;
    await this.call(Op.releasePlan, -1, 10_000, null, u32Arg(id)).catch(() => undefined);
  }

  /** Native scans sent to the scanner, and those that got no answer from it. */
  contentStats(): ContentStats {
    return this.o.link.contentStats(this.content);
  }

  private dropPlan(plan: object, e?: unknown): unknown {
    const id = this.planIds.get(plan);
    if (id === undefined) return e;
    this.planIds.delete(plan);
    this.o.link.scanPlanRemote(plan, null, 0);
    const p = this.plans.get(id);
    this.plans.delete(id);
    if (p) fs.closeSync(p.fd);
    return e;
  }

  /** Scans the open file `fd` (the caller keeps and closes it) with a YARA time limit. */
  async scan(fd: number, o: ScanRequest): Promise<ScannerScan> {
    const wait = o.deadlineMs !== undefined ? Math.min(o.deadlineMs, o.limitMs) : o.limitMs;
    const args = scanArgs({ set: o.set ?? 0, limitMs: o.limitMs, maxBytes: o.maxBytes, deadlineMs: o.deadlineMs ?? 0, realTime: o.realTime ?? false });
    const r = await this.call(Op.scan, fd, wait + 5_000, o.file ?? null, args, o.signal);
    const elapsedUs = r.status === Status.ok || r.status === Status.timeout || r.status === Status.cancelled ? r.body.u32() : 0;
    if (r.status === Status.timeout) return { status: 'timeout', elapsedUs, matches: [] };
    if (r.status === Status.cancelled) return { status: 'cancelled', elapsedUs, matches: [] };
    if (r.status !== Status.ok) throw this.failed(r);
    const n = r.body.u32();
    if (n > 100) throw new WdavError('WDAV_ERR_SCANNER', `the scanner listed ${n} matches (at most 100)`);
    const matches: ScannerScan['matches'] = [];
    for (let i = 0; i < n; i++) {
      const rule = r.body.str(1024);
      const namespace = r.body.str(256);
      const metaCount = r.body.u32();
      if (metaCount > 16) throw new WdavError('WDAV_ERR_SCANNER', `the scanner listed ${metaCount} metas for one match (at most 16)`);
      const meta: Record<string, string | number | boolean> = {};
      for (let j = 0; j < metaCount; j++) {
        const id = r.body.str(64);
        const kind = r.body.u32();
        const text = r.body.str(256);
        if (id === '__proto__') continue;
        meta[id] = kind === 0 ? Number(text) : kind === 2 ? text !== '0' : text;
      }
      matches.push({ rule, namespace, meta });
    }
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
    if (this.state === 'running' || this.state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Kills the scanner: requests in flight and queued fail with WDAV_ERR_SCANNER at once. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.queue.clear();
    const g = this.gen;
    this.gen = null;
    if (g) {
      this.failAll(g, () => new WdavError('WDAV_ERR_SCANNER', 'the scanner is stopped'));
      if (!g.exited) {
        const exited = new Promise<void>((resolve) => g.child.once('exit', () => resolve()));
        g.child.kill('SIGKILL');
        await exited;
      }
      this.closeLink(g);
    }
    this.o.link.contentClose(this.content);
    for (const { fd } of this.plans.values()) fs.closeSync(fd);
    this.plans.clear();
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private async spawnOne(): Promise<void> {
    const [brokerFd, childFd] = this.o.link.scannerSocketPair();
    const [rtFd, childRtFd] = this.o.link.scannerSocketPair();
    const [odFd, childOdFd] = this.o.link.scannerSocketPair();
    const threads = this.o.threads ?? 4;
    const args = ['--uid', String(this.o.uid), '--gid', String(this.o.gid), '--threads', String(threads), '--memory-limit-mb', String(this.o.memoryLimitMb ?? 1024)];
    if (this.o.testHooks) args.push('--test-hooks');
    let child: ChildProcess;
    try {
      child = spawn(this.o.executable ?? SCANNER_EXECUTABLE, args, { stdio: ['ignore', 'ignore', 'pipe', childFd, childRtFd, childOdFd] });
    } catch (e) {
      for (const fd of [brokerFd, rtFd, odFd]) fs.closeSync(fd);
      throw e;
    } finally {
      for (const fd of [childFd, childRtFd, childOdFd]) fs.closeSync(fd);
    }
    const g: Generation = { child, fd: brokerFd, contentFds: [rtFd, odFd], contentAttached: false, contentLost: [], listener: null, exited: false, fdClosed: false, killedFor: null, pending: new Map(), filesAtEnd: null, threads };
    this.gen = g;
    g.listener = this.o.link.scannerListen(brokerFd, (packets, errno) => this.onPackets(g, packets, errno));
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
      const r = await this.send(g, Op.ping, -1, 5_000, null);
      if (r.status !== Status.ok) throw this.failed(r);
      r.body.u32(); // pid
      r.body.u32(); // uid
      g.threads = r.body.u32();
      for (const [set, bundle] of this.sets) {
        const l = await this.withFd(bundle, (fd) => this.send(g, Op.loadYara, fd, 300_000, null, u32Arg(set)));
        if (l.status !== Status.ok) throw this.failed(l);
      }
      // Plans added meanwhile are visited too (a Map iterates what is added during the loop).
      for (const [id, p] of this.plans) {
        const l = await this.send(g, Op.loadPlan, p.fd, 60_000, null, u32Arg(id));
        if (l.status !== Status.ok) throw this.failed(l);
      }
      if (g.exited || g.killedFor) throw new WdavError('WDAV_ERR_SCANNER', 'the scanner ended while starting');
      this.o.link.contentAttach(this.content, rtFd, odFd);
      g.contentFds = [];
      g.contentAttached = true;
    } catch (e) {
      if (!g.exited) g.child.kill('SIGKILL');
      throw new WdavError('WDAV_ERR_SCANNER', `the scanner did not start: ${this.stderrTail.at(-1) ?? (e as Error).message}`, undefined, { cause: e });
    }
    this.startedAt = Date.now();
    if (this.state !== 'stopped') this.state = 'running';
    this.o.logger.info({ scannerPid: child.pid, uid: this.o.uid, threads: g.threads, ruleSets: this.sets.size, scanPlans: this.plans.size }, 'scanner: running');
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private onPackets(g: Generation, packets: Buffer[] | null, errno?: number): void {
    if (packets === null) {
      // The scanner closed its end (it exited) or sent a packet beyond the protocol's size.
      g.listener = null;
      g.filesAtEnd ??= this.filesInFlight(g);
      // Its exit event follows; meanwhile nothing is sent to it, and ready() waits for the next.
      if (this.gen === g && this.state === 'running') this.state = 'restarting';
      if (errno !== 32 /* EPIPE */) this.kill(g, 'protocol', `the scanner broke the protocol (errno ${errno})`);
      this.failAll(g, (p) => this.goneError(p));
      this.closeLink(g);
      return;
    }
    for (const buf of packets) {
      let r: Reply;
      try {
        r = reply(buf);
      } catch (e) {
        this.kill(g, 'protocol', `the scanner sent a malformed reply: ${(e as Error).message}`);
        return;
      }
      const p = g.pending.get(r.id);
      if (!p || p.op !== r.op) {
        // A reply nobody asked for: the scanner is not the program we started.
        this.kill(g, 'protocol', `the scanner answered request ${r.op}#${r.id}, which is not in flight`);
        return;
      }
      g.pending.delete(r.id);
      clearTimeout(p.timer);
      p.resolve(r);
    }
  }

  private onExit(g: Generation, code: number | null, signal: NodeJS.Signals | null): void {
    g.exited = true;
    const yaraFiles = g.filesAtEnd ?? this.filesInFlight(g);
    this.failAll(g, (p) => this.goneError(p));
    this.closeLink(g);
    // Real-time files in the content pass first: an opener was waiting on them.
    const files = [...new Set([...g.contentLost, ...yaraFiles])];
    if (this.gen !== g || this.state === 'stopped') return;
    this.gen = null;
    const crash: ScannerCrash = { at: new Date().toISOString(), exitCode: code, signal, file: files[0] ?? null, inFlight: files.slice(0, 10), reason: g.killedFor ?? 'exited' };
    this.lastCrash = crash;
    if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.crashesInARow = 0;
    const others = files.length > 1 ? ` (and ${files.length - 1} other file${files.length > 2 ? 's' : ''} in flight)` : '';
    this.o.logger.error({ code: 'WDAV_ERR_SCANNER', exitCode: code, signal, file: crash.file, inFlight: crash.inFlight, reason: crash.reason },
      crash.file ? `scanner crashed on ${crash.file}${others}` : 'scanner crashed');
    this.scheduleRestart();
  }

  /** Oldest first (a Map keeps insertion order). */
  private filesInFlight(g: Generation): string[] {
    return [...g.pending.values()].map((p) => p.file).filter((f): f is string => f !== null);
  }

  private goneError(p: Pending): WdavError {
    return new WdavError('WDAV_ERR_SCANNER', `the scanner is gone${p.file ? ` (it was scanning ${p.file})` : ''}`, p.file ? { file: p.file } : undefined);
  }

  private failAll(g: Generation, err: (p: Pending) => Error): void {
    const all = [...g.pending.values()];
    g.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(err(p));
    }
  }

  private closeLink(g: Generation): void {
    if (g.listener) this.o.link.scannerUnlisten(g.listener);
    g.listener = null;
    for (const fd of g.contentFds) fs.closeSync(fd);
    g.contentFds = [];
    if (g.contentAttached) {
      this.o.link.contentDetach(this.content);
      g.contentLost = this.o.link.contentLostFiles(this.content);
    }
    g.contentAttached = false;
    if (!g.fdClosed) {
      g.fdClosed = true;
      fs.closeSync(g.fd);
    }
  }

  private kill(g: Generation, why: 'stuck' | 'protocol', message: string): void {
    if (g.exited || g.killedFor) return;
    g.killedFor = why;
    this.o.logger.error({ code: 'WDAV_ERR_SCANNER', scannerPid: g.child.pid }, `${message}; killed`);
    if (this.gen === g && this.state === 'running') this.state = 'restarting';
    g.child.kill('SIGKILL');
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

  /** One request through the queue, sent to the scanner running when its turn comes. */
  private call(op: OpCode, fd: number, timeoutMs: number, file: string | null, payload?: Parameters<typeof request>[2], signal?: AbortSignal): Promise<Reply> {
    if (this.queue.size >= (this.o.queueCapacity ?? 1024)) return Promise.reject(new WdavError('WDAV_ERR_BUSY', 'the scanner queue is full'));
    return this.queue.add(
      async () => {
        const g = this.gen;
        if (this.state === 'stopped') throw new WdavError('WDAV_ERR_SCANNER', 'the scanner is stopped');
        if (!g || g.exited || g.killedFor || this.state !== 'running') throw new WdavError('WDAV_ERR_SCANNER', `the scanner is ${this.state}`);
        if (signal?.aborted) return cancelledReply(op);
        return this.send(g, op, fd, timeoutMs, file, payload, signal);
      },
      { throwOnTimeout: true },
    ) as Promise<Reply>;
  }

  private send(g: Generation, op: OpCode, fd: number, timeoutMs: number, file: string | null, payload?: Parameters<typeof request>[2], signal?: AbortSignal): Promise<Reply> {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    const err = this.o.link.scannerSend(g.fd, request(op, id, payload), fd);
    if (err === EAGAIN) return Promise.reject(new WdavError('WDAV_ERR_BUSY', 'the scanner socket is full'));
    if (err !== 0) return Promise.reject(new WdavError('WDAV_ERR_SCANNER', `the scanner is gone (errno ${err})`, file ? { file } : undefined));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        // No answer past its own time limit: the scanner is stuck; it is killed and restarted.
        this.kill(g, 'stuck', `the scanner did not answer within ${timeoutMs} ms${file ? ` (scanning ${file})` : ''}`);
      }, timeoutMs);
      const onAbort = (): void => {
        if (!g.pending.has(id) || g.exited) return;
        const cid = this.nextId;
        this.nextId = (this.nextId + 1) >>> 0 || 1;
        // Its reply only says whether the scan was found; the scan's own reply follows.
        g.pending.set(cid, { op: Op.cancel, file: null, resolve: () => undefined, reject: () => undefined });
        this.o.link.scannerSend(g.fd, request(Op.cancel, cid, u32Arg(id)), -1);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      g.pending.set(id, {
        op,
        file,
        timer,
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
      });
    });
  }

  private readLoad(r: Reply): YaraLoad {
    const loaded = r.body.u32();
    const rules = r.body.u32();
    const n = r.body.u32();
    if (n > 200) throw new WdavError('WDAV_ERR_SCANNER', `the scanner listed ${n} compile errors (at most 200)`);
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
    const code = r.status === Status.badRequest ? 'WDAV_ERR_BAD_REQUEST' : r.status === Status.noRules ? 'WDAV_ERR_DEFINITIONS_INVALID' : r.status === Status.busy ? 'WDAV_ERR_BUSY' : 'WDAV_ERR_SCANNER';
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

/** A request that was cancelled before it was sent answers like the scanner would (0 µs). */
function cancelledReply(op: OpCode): Reply {
  return { op, id: 0, status: Status.cancelled, body: new ReplyReader(Buffer.alloc(4)) };
}

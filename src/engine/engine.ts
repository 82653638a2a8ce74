// src/engine/engine.ts — the scanning engine: createEngine() → ScanEngine.
//
// Public API (what the daemon, src/scan/ and the archive walker call):
//   createEngine({ definitions?, native?, chunkSize?, yaraMaxFileSize?, scanTimeLimitMs?, archiveLimits?, tmpDir? }) → ScanEngine
//   engine.scan(source, ctx)            source = { fd } (read with pread from offset 0; never
//                                       closed, never reopened) or { path } (opened O_RDONLY |
//                                       O_NOFOLLOW | O_NONBLOCK [| O_NOATIME]; non-regular → skipped)
//   engine.scanStream(chunks, size, ctx) chunks = Readable | AsyncIterable<Buffer|Uint8Array>,
//                                       size = total bytes or undefined; chunks must not be reused
//                                       by the producer after being yielded. Used per archive member.
//   engine.scanMember                   the archive walker's ScanMember callback (wraps scanStream)
//   engine.scanBatch({ fds, path? }, ctx) on-demand batches (batch.ts): one native read pass over
//                                       the files, verdicts from the same verdict() below; owns
//                                       and closes every fd; resolves { clean, cleanBytes, others }
//                                       (per-file scan() when the set has YARA work the scanner
//                                       process does not run, or there is no native binding)
//   engine.setDefinitions(set)          atomic switch: new scans use `set` at once (with remotePlans,
//                                       once the scanner process holds its plan); resolves when
//                                       scans still running on the previous set finished and it
//                                       was closed (pass { closePrevious: false } to keep it)
//   engine.nativePlan()                 the current set's native plan (real-time native verdicts)
//   engine.generation / definitions / bodyMatcher ('vectorscan' | 'yara') / stats()
// Every scan resolves to a ScanResult — clean | detected | skipped | error — and never rejects:
// a file that vanishes, shrinks, or fails to read becomes skipped/error.
// Verdict order: allow-list (.fp/.sfp: clean) > built-in EICAR > hash > body (lowest signature
// id) > YARA rule. YARA runs last and only when it can change the verdict: not for a file
// already allow-listed or detected. It runs with a time limit (ctx.timeLimitMs, ctx.deadline;
// yara/rules.ts): a file it cannot finish in time is clean with `scanTimeout` — what the other
// engines found still decides. Archives (ctx.scanArchives) are walked only when the file itself
// is clean.
// Owns: scan orchestration and in-flight accounting per definition set. Must not: know about
// queues, RTP, or how definitions are loaded.
import { errorMessage, isWdavError, WdavError } from '../shared/errors.js';
import { builtinDefinitionSet, type DefinitionSet, type Verdict } from '../definitions/definition-set.js';
import { EICAR_NAME, isEicar } from '../definitions/eicar.js';
import { walkArchive } from './archives/walker.js';
import { resolveArchiveLimits, type ArchiveLimits } from './archives/limits.js';
import type { MemberVerdict, ScanMember } from './archives/types.js';
import type { ByteSource } from './archives/source.js';
import { classifyFailure, closeFd, fstat, openForScan } from './open-file.js';
import { Cancelled, passChunks, passFd, TooLarge, type PassOptions, type PassResult } from './read-pass.js';
import type { Engine, ScanContext, ScanResult, ScanSource, ScanTimeout } from './types.js';
import type { YaraMatch } from './yara/rules.js';
import type { NativeBinding } from '../shared/native.js';
import { BatchScanner, type BatchFiles, type BatchOutcome, type LaneStats } from './batch.js';
import { scanBatchBinding, type ScanPlan } from './batch-native.js';

/** Where native scan plans are held when not in this process (the scanner process: src/scanner/process.ts). */
export interface RemotePlans {
  /** Native scans on `plan` run there once this resolves. */
  loadPlan(plan: ScanPlan): Promise<void>;
  releasePlan(plan: ScanPlan): Promise<void>;
}

export interface EngineOptions {
  definitions?: DefinitionSet;
  /** The scanner process: native read passes (digests, Vectorscan, archive proofs) run there. */
  remotePlans?: RemotePlans;
  /** The addon, for scanBatch's native read pass (else taken from the set's Vectorscan matcher). */
  native?: NativeBinding | null;
  /** Read size per chunk (default 256 KiB). */
  chunkSize?: number;
  /** Largest file handed whole to YARA (YARA rules; body signatures in fallback mode). Default 32 MiB. */
  yaraMaxFileSize?: number;
  /** YARA time limit per file when the caller's context gives none (ms). Default DEFAULT_SCAN_TIME_LIMIT_MS. */
  scanTimeLimitMs?: number;
  archiveLimits?: Partial<ArchiveLimits>;
  tmpDir?: string;
}

export interface EngineStats {
  scans: number;
  bytes: number;
  detected: number;
  skipped: number;
  errors: number;
  /** Files YARA should have seen but were above yaraMaxFileSize. */
  yaraSkippedLarge: number;
  /** Files whose YARA scan ended at its time limit (allowed on the other engines' verdict), by origin. */
  scanTimeouts: Record<ScanContext['origin'], number>;
  inFlight: number;
  /** On-demand batches: archives the native pass proved clean, and archives walked in JavaScript. */
  archivesProvenNative: number;
  archivesWalked: number;
  /** Archive walks: members not looked into (unscanned), the files that had some, limits exceeded. */
  archiveMembersUnscanned: number;
  archivesWithUnscannedMembers: number;
  archiveLimitsExceeded: number;
  /** On-demand lanes (setScanThreads): null before the batch scanner exists. */
  onDemandLanes: LaneStats | null;
}

export interface ScanEngine extends Engine {
  readonly definitions: DefinitionSet;
  readonly bodyMatcher: DefinitionSet['bodyMatcher'];
  scanStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | NodeJS.ReadableStream, size: number | undefined, ctx: ScanContext): Promise<ScanResult>;
  readonly scanMember: ScanMember;
  /** `switched` is called once new scans use `set` (before the previous set's scans have drained). */
  setDefinitions(set: DefinitionSet, opts?: { closePrevious?: boolean; switched?: () => void }): Promise<void>;
  /** Loads the set's native plan into the scanner process (remotePlans); the current set by default. */
  placePlan(set?: DefinitionSet): Promise<void>;
  /** Why the scanner process does not hold the current plan, when it does not. */
  readonly remotePlanError: string | null;
  scanBatch(files: BatchFiles, ctx: ScanContext, readDone?: () => void): Promise<BatchOutcome>;
  /**
   * The native scan plan of the current set (hashes and Vectorscan, as on-demand batches use),
   * for real-time verdicts in native code; null when the set has YARA work the scanner process
   * does not run or the addon has no batch scanner.
   */
  nativePlan(): ScanPlan | null;
  stats(): EngineStats;
}

const MiB = 1 << 20;
const CANCELLED = 'WDAV_ERR_SCAN_CANCELLED';
/** The YARA time limit per file when nobody set one (wdavdaemon.scanTimeLimitMs's default). */
export const DEFAULT_SCAN_TIME_LIMIT_MS = 30_000;

class ScanEngineImpl implements ScanEngine {
  private current: DefinitionSet;
  private gen = 0;
  private readonly inFlight = new Map<DefinitionSet, { n: number; idle?: () => void }>();
  private readonly pass: PassOptions;
  private readonly counters = { scans: 0, bytes: 0, detected: 0, skipped: 0, errors: 0, yaraSkippedLarge: 0, archiveMembersUnscanned: 0, archivesWithUnscannedMembers: 0, archiveLimitsExceeded: 0 };
  private readonly timeouts: EngineStats['scanTimeouts'] = { real_time: 0, on_write: 0, on_demand: 0 };
  readonly scanMember: ScanMember;
  private batches: BatchScanner | undefined;
  /** maximumOnDemandScanThreads as last set (setScanThreads): the lanes of on-demand batches. */
  private scanThreads = 0;
  private planError: string | null = null;

  constructor(private readonly opts: EngineOptions) {
    this.current = opts.definitions ?? builtinDefinitionSet();
    this.pass = { chunkSize: opts.chunkSize ?? 256 * 1024, yaraMaxFileSize: opts.yaraMaxFileSize ?? 32 * MiB };
    this.scanMember = (member, signal) => this.memberVerdict(member.buffer ? [member.buffer] : member.chunks(), member.size, signal);
  }

  get generation(): number {
    return this.gen;
  }
  get definitions(): DefinitionSet {
    return this.current;
  }
  get bodyMatcher(): DefinitionSet['bodyMatcher'] {
    return this.current.bodyMatcher;
  }

  async setDefinitions(set: DefinitionSet, opts: { closePrevious?: boolean; switched?: () => void } = {}): Promise<void> {
    const prev = this.current;
    if (prev === set) return;
    // The scanner process holds the new plan before a scan can use it (without one the switch
    // stays synchronous: the current set changes before this returns its promise).
    if (this.opts.remotePlans) await this.placePlan(set);
    this.current = set;
    this.gen++;
    opts.switched?.();
    const f = this.inFlight.get(prev);
    if (f && f.n > 0) await new Promise<void>((resolve) => (f.idle = resolve));
    const old = this.batches?.existingPlan(prev);
    if (old && this.opts.remotePlans) await this.opts.remotePlans.releasePlan(old).catch(() => undefined);
    if (opts.closePrevious !== false) await prev.close();
  }

  async placePlan(set: DefinitionSet = this.current): Promise<void> {
    const remote = this.opts.remotePlans;
    if (!remote) return;
    const b = this.batchScanner(set);
    if (!b.supports(set)) return;
    try {
      await remote.loadPlan(b.plan(set));
      this.planError = null;
    } catch (e) {
      // Its scans then fail with "scanner unavailable" rather than run here: said in health.
      this.planError = `the scanner process refused the scan plan: ${errorMessage(e)}`;
    }
  }

  get remotePlanError(): string | null {
    return this.planError;
  }

  stats(): EngineStats {
    let inFlight = 0;
    for (const f of this.inFlight.values()) inFlight += f.n;
    return { ...this.counters, scanTimeouts: { ...this.timeouts }, inFlight, archivesProvenNative: this.batches?.archives.native ?? 0, archivesWalked: this.batches?.archives.walked ?? 0, onDemandLanes: this.batches?.laneStats() ?? null };
  }

  /** Runs `fn` on the current set, counted so a switch can wait for it. */
  private async onSet(fn: (set: DefinitionSet, gen: number) => Promise<ScanResult>): Promise<ScanResult> {
    const r = await this.holding((set, gen) => fn(set, gen).catch((e: unknown) => this.failure(e, gen)));
    this.count(r);
    return r;
  }

  private async holding<T>(fn: (set: DefinitionSet, gen: number) => Promise<T>): Promise<T> {
    const set = this.current;
    let f = this.inFlight.get(set);
    if (!f) this.inFlight.set(set, (f = { n: 0 }));
    f.n++;
    try {
      return await fn(set, this.gen);
    } finally {
      if (--f.n === 0) {
        this.inFlight.delete(set);
        f.idle?.();
      }
    }
  }

  private count(r: ScanResult): void {
    this.counters.scans++;
    if (r.kind === 'clean' || r.kind === 'detected') this.counters.bytes += r.bytes;
    if (r.kind === 'detected') this.counters.detected++;
    else if (r.kind === 'skipped') this.counters.skipped++;
    else if (r.kind === 'error') this.counters.errors++;
  }

  private failure(e: unknown, generation: number): ScanResult {
    if (e instanceof Cancelled) return { kind: 'error', code: CANCELLED, message: 'The scan was cancelled', generation };
    if (e instanceof TooLarge) return { kind: 'skipped', reason: 'too_large', generation };
    if (isWdavError(e)) return { kind: 'error', code: e.code, message: e.message, generation };
    const f = classifyFailure(e);
    return f.kind === 'skipped' ? { ...f, generation } : { ...f, message: errorMessage(e), generation };
  }

  scan(source: ScanSource, ctx: ScanContext): Promise<ScanResult> {
    return this.onSet((set, gen) => this.scanOn(set, gen, source, ctx));
  }

  /** One file on `set`; rejects on failure (callers turn that into a result with failure()). */
  private async scanOn(set: DefinitionSet, gen: number, source: ScanSource, ctx: ScanContext): Promise<ScanResult> {
    const owned = 'fd' in source ? undefined : await openForScan(source.path);
    const fd = owned ?? (source as { fd: number }).fd;
    try {
      const st = await fstat(fd);
      if (!st.isFile()) return { kind: 'skipped', reason: 'not_regular_file', generation: gen };
      if (ctx.maxFileSize > 0 && st.size > ctx.maxFileSize) return { kind: 'skipped', reason: 'too_large', generation: gen };
      if (ctx.signal?.aborted) throw new Cancelled();
      const pass = await passFd(set, fd, st.size, ctx, this.pass);
      const r = await this.decide(set, pass, ctx, gen, 'path' in source && source.path !== undefined ? String(source.path) : undefined);
      if (r.kind !== 'clean' || !ctx.scanArchives) return r;
      return await this.walk(set, fd, source, ctx, r);
    } finally {
      if (owned !== undefined) await closeFd(owned);
    }
  }

  async scanBatch(files: BatchFiles, ctx: ScanContext, readDone?: () => void, posted?: () => void): Promise<BatchOutcome> {
    const out = await this.holding((set, gen) => this.batchScanner(set).run(set, gen, files, ctx, readDone, posted));
    this.counters.scans += out.clean;
    this.counters.bytes += out.cleanBytes;
    for (const o of out.others) this.count(o.result);
    return out;
  }

  nativePlan(): ScanPlan | null {
    const set = this.current;
    const b = this.batchScanner(set);
    return b.supports(set) ? b.plan(set) : null;
  }

  setScanThreads(n: number): number {
    this.scanThreads = n;
    // Without a binding yet (none given, no native set seen), the scanner made here has no lanes
    // (1); the one made later from a set's binding takes scanThreads.
    return this.batchScanner(null).setLanes(n);
  }

  private batchScanner(set: DefinitionSet | null): BatchScanner {
    if (!this.batches?.native) {
      // The binding comes with the engine, or with the first set whose matcher is native.
      const b = scanBatchBinding(this.opts.native ?? (set?.vectorscan?.binding as unknown as NativeBinding | undefined));
      if (!this.batches || b) {
        const hooks = {
          verdict: (s: DefinitionSet, p: PassResult, ctx: ScanContext, g: number) => this.verdict(s, p, ctx, g),
          walk: (s: DefinitionSet, from: number | ByteSource, src: ScanSource, ctx: ScanContext, clean: ScanResult & { kind: 'clean' }) => this.walk(s, from, src, ctx, clean),
          scanOn: (s: DefinitionSet, g: number, src: ScanSource, ctx: ScanContext) => this.scanOn(s, g, src, ctx).catch((e: unknown) => this.failure(e, g)),
          yaraTimedOut: (ctx: ScanContext) => void this.timeouts[ctx.origin]++,
        };
        const yara = { remote: this.opts.remotePlans !== undefined, limitMs: this.opts.scanTimeLimitMs ?? DEFAULT_SCAN_TIME_LIMIT_MS, maxBytes: this.pass.yaraMaxFileSize };
        this.batches = new BatchScanner(b, hooks, this.pass.chunkSize, resolveArchiveLimits(this.opts.archiveLimits), yara);
        if (this.scanThreads > 0) this.batches.setLanes(this.scanThreads);
      }
    }
    return this.batches!;
  }

  scanStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | NodeJS.ReadableStream, size: number | undefined, ctx: ScanContext): Promise<ScanResult> {
    return this.onSet(async (set, gen) => {
      if (size !== undefined && ctx.maxFileSize > 0 && size > ctx.maxFileSize) return { kind: 'skipped', reason: 'too_large', generation: gen };
      const pass = await passChunks(set, chunks as AsyncIterable<Uint8Array>, size, ctx, this.pass);
      return this.decide(set, pass, ctx, gen);
    });
  }

  private async memberVerdict(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, signal: AbortSignal): Promise<MemberVerdict> {
    const r = await this.scanStream(chunks, size, { origin: 'on_demand', scanArchives: false, maxFileSize: 0, signal });
    if (r.kind === 'detected') return { kind: 'detected', name: r.name, threatType: r.threatType, engine: r.engine };
    if (r.kind === 'error') return { kind: 'error', code: r.code, message: r.message };
    if (r.kind === 'skipped') return { kind: 'skipped', reason: r.reason };
    return { kind: 'clean' };
  }

  /** Walks the file (its fd, or its bytes already in memory) as an archive; `source` names it. */
  private async walk(set: DefinitionSet, from: number | ByteSource, source: ScanSource, ctx: ScanContext, clean: ScanResult & { kind: 'clean' }): Promise<ScanResult> {
    const p = 'path' in source && source.path !== undefined ? String(source.path) : undefined;
    let timedOut: ScanTimeout | undefined;
    const w = await walkArchive(
      typeof from === 'number' ? { fd: from } : from,
      {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(this.opts.archiveLimits ? { limits: this.opts.archiveLimits } : {}),
        ...(this.opts.tmpDir ? { tmpDir: this.opts.tmpDir } : {}),
        ...(p ? { name: p.split('/').pop()! } : {}),
      },
      // Members are scanned on the set the outer scan started with, with its time limits.
      (member, signal) =>
        this.memberOnSet(set, member.buffer ? [member.buffer] : member.chunks(), member.size, { ...limitsOf(ctx), signal }, (t) => (timedOut ??= t)),
    );
    this.counters.archiveLimitsExceeded += (w.kind !== 'not_archive' && w.limitsExceeded) || 0;
    if (w.kind === 'detected') return { ...clean, kind: 'detected', ...w.detection };
    if (w.kind === 'error' && w.code === CANCELLED) return { kind: 'error', code: w.code, message: w.message, generation: clean.generation };
    let out: ScanResult & { kind: 'clean' } = timedOut && !clean.scanTimeout ? { ...clean, scanTimeout: timedOut } : clean;
    // Members it could not look into: said with the result, never a silent clean.
    if (w.kind !== 'not_archive' && w.unscannedCount) {
      this.counters.archiveMembersUnscanned += w.unscannedCount;
      this.counters.archivesWithUnscannedMembers++;
      out = { ...out, unscanned: w.unscanned ?? [], unscannedCount: w.unscannedCount };
    }
    return out;
  }

  private async memberOnSet(
    set: DefinitionSet,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    size: number,
    limits: Pick<ScanContext, 'timeLimitMs' | 'deadline' | 'signal'>,
    onTimeout: (t: ScanTimeout) => void,
  ): Promise<MemberVerdict> {
    try {
      const ctx: ScanContext = { origin: 'on_demand', scanArchives: false, maxFileSize: 0, ...limits };
      const pass = await passChunks(set, chunks, size, ctx, this.pass);
      const r = await this.decide(set, pass, ctx, 0);
      if (r.kind === 'clean' && r.scanTimeout) onTimeout(r.scanTimeout);
      return r.kind === 'detected' ? { kind: 'detected', name: r.name, threatType: r.threatType, engine: r.engine } : { kind: 'clean' };
    } catch (e) {
      const r = this.failure(e, 0);
      if (r.kind === 'skipped') return { kind: 'skipped', reason: r.reason };
      if (r.kind === 'error') return { kind: 'error', code: r.code, message: r.message };
      return { kind: 'clean' };
    }
  }

  /**
   * The verdict of the pass, and then — only when it is clean, not allow-listed, and the set has
   * YARA work for this file — of YARA, within the time limit. A timeout leaves the clean verdict
   * marked `scanTimeout`; a cancel or a libyara failure rejects (the caller's failure()).
   */
  private async decide(set: DefinitionSet, p: PassResult, ctx: ScanContext, generation: number, file?: string): Promise<ScanResult> {
    const r = this.verdict(set, p, ctx, generation);
    const data = p.yaraData ?? p.yaraFd;
    if (r.kind !== 'clean' || data === undefined || !set.yara || set.allowListed(p.digests, p.bytes)) return r;
    const y = await set.yara.scan(data, {
      maxBytes: this.pass.yaraMaxFileSize,
      ...(file !== undefined ? { file } : {}),
      limitMs: ctx.timeLimitMs ?? this.opts.scanTimeLimitMs ?? DEFAULT_SCAN_TIME_LIMIT_MS,
      ...(ctx.deadline !== undefined ? { deadline: ctx.deadline } : {}),
      realTime: ctx.origin !== 'on_demand',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    switch (y.status) {
      case 'ok':
        return this.verdict(set, p, ctx, generation, y.matches);
      case 'timeout':
        this.timeouts[ctx.origin]++;
        return { ...r, scanTimeout: { engine: 'yara', limitMs: y.limitMs } };
      case 'cancelled':
        throw new Cancelled();
      default:
        throw new WdavError(y.code === 'WDAV_ERR_SCANNER' || y.code === 'WDAV_ERR_BUSY' ? y.code : 'WDAV_ERR_NATIVE', `YARA scan failed: ${y.message}`);
    }
  }

  /** The verdict from the pass, and from YARA's matches once YARA ran (decide()). */
  private verdict(set: DefinitionSet, p: PassResult, ctx: ScanContext, generation: number, yaraMatches?: readonly YaraMatch[]): ScanResult {
    if (p.yaraSkipped && !yaraMatches) this.counters.yaraSkippedLarge++;
    const base = { bytes: p.bytes, generation, ...(ctx.computeHash && p.digests.has('sha256') ? { sha256: p.digests.get('sha256')!.toString('hex') } : {}) };
    if (set.allowListed(p.digests, p.bytes)) return { kind: 'clean', ...base };
    let v: Verdict | { name: string; threatType: 'virus'; engine: 'builtin' } | undefined;
    if (isEicar(p.head, p.bytes)) v = { name: EICAR_NAME, threatType: 'virus', engine: 'builtin' };
    v ??= set.hashVerdict(p.digests, p.bytes);
    const y = yaraMatches ? set.yaraVerdicts(yaraMatches) : undefined;
    v ??= set.bodyVerdict(y?.bodyIds.length ? [...p.bodyIds, ...y.bodyIds] : p.bodyIds);
    v ??= y?.rule;
    return v ? { kind: 'detected', ...base, name: v.name, threatType: v.threatType, engine: v.engine } : { kind: 'clean', ...base };
  }
}

/** The time limits of `ctx` that archive members inherit. */
function limitsOf(ctx: ScanContext): Pick<ScanContext, 'timeLimitMs' | 'deadline'> {
  return { ...(ctx.timeLimitMs !== undefined ? { timeLimitMs: ctx.timeLimitMs } : {}), ...(ctx.deadline !== undefined ? { deadline: ctx.deadline } : {}) };
}

export function createEngine(opts: EngineOptions = {}): ScanEngine {
  return new ScanEngineImpl(opts);
}

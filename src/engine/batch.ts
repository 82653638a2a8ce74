// src/engine/batch.ts — on-demand batch scans: hands a batch of opened files to the native
// read pass (native/core/scanbatch.*: fstat, pread, Vectorscan, the digests a signature of that
// size needs, archive/EICAR sniff, all on the libuv threadpool) and turns its fixed-size
// records into results with the engine's own verdict function — the same DefinitionSet
// queries in the same order as engine.scan — so JavaScript pays per file only for what found
// evidence (a digest some hash table holds, a body match, an EICAR-sized head) or for an archive
// to walk — and small archives the native pass proved clean (native/core/archclean.h) are not
// walked here at all.
// Sets with YARA work (YARA rules, or body signatures in the libyara fallback) take this path
// too when the plans live in the scanner process (its content pass runs the rules: a match or
// an unfinished scan sends that file to the per-file path); otherwise the per-file path.
// Ownership: every fd of a batch is closed by the time run() resolves (natively, or here after
// the archive walk of a file the native side left open). Memory: records live in a few reused
// arenas (RECORDS_PER_ARENA files each); nothing is allocated for a file without evidence.
// Must not: decide verdicts itself, or know about queues, jobs or RTP.
import { getSystemErrorName } from 'node:util';
import type { DefinitionSet } from '../definitions/definition-set.js';
import { EICAR_MAX_SIZE } from '../definitions/eicar.js';
import type { HashKind } from '../definitions/hash-index.js';
import { ARCHIVE_LIMIT_FIELDS, BATCH_KEEP_ARCHIVES_OPEN, BATCH_SHA256_ALWAYS, BATCH_SHA256_MATCHED, FLAG, REC, SCAN_ERROR_DETAIL, STATUS, type ScanBatchBinding, type ScanLane, type ScanPlan } from './batch-native.js';
import type { ArchiveLimits } from './archives/limits.js';
import { classifyFailure } from './open-file.js';
import { errorMessage } from '../shared/errors.js';
import { closeQuietly } from '../shared/fd.js';
import { BufferSource, type ByteSource } from './archives/source.js';
import type { PassResult } from './read-pass.js';
import type { BatchFiles, BatchOutcome, ScanContext, ScanResult, ScanSource } from './types.js';

export type { BatchFiles, BatchOutcome } from './types.js';

/** What the batch needs from the engine: its verdict, archive walk and per-file scan. */
export interface BatchHooks {
  verdict(set: DefinitionSet, pass: PassResult, ctx: ScanContext, generation: number): ScanResult;
  walk(set: DefinitionSet, from: number | ByteSource, source: ScanSource, ctx: ScanContext, clean: ScanResult & { kind: 'clean' }): Promise<ScanResult>;
  scanOn(set: DefinitionSet, generation: number, source: ScanSource, ctx: ScanContext): Promise<ScanResult>;
  /** A file's YARA scan in the scanner's content pass stopped at its time limit (counted like the per-file path's). */
  yaraTimedOut(ctx: ScanContext): void;
}

/** Files per native call; larger batches are split. */
export const RECORDS_PER_ARENA = 256;
/**
 * Archive candidates are copied whole into this per-arena area while the native pass reads them
 * (first come, while it has room), so the archive walker reads them from memory instead of
 * making a threadpool round trip per read; others stay open and are walked from their fd.
 */
export const SPILL_BYTES = 1 << 20;
const MAX_FREE_ARENAS = 8;
/**
 * Batches a lane holds: the one it scans and the next, so it never waits for the JS thread to
 * hand it work (native/core/scanlane.h).
 */
export const LANE_DEPTH = 2;
/** How far below the daemon's CPU priority the on-demand lanes run (real-time work first). */
export const LANE_NICE = 5;

export type LaneStats = {
  /** Lane threads created so far (lanes are created when first needed). */
  lanesStarted: number;
  /** Batches the lanes may hold at once: threads × LANE_DEPTH (0: batches run on the libuv threadpool). */
  capacity: number;
  depth: number;
  maxDepth: number;
  /** Batches posted to lanes since the engine started. */
  posted: number;
};
const CANCELLED = 'WDAV_ERR_SCAN_CANCELLED';
const KINDS: readonly [HashKind, number, number, number][] = [
  ['md5', FLAG.md5, REC.md5, 16],
  ['sha1', FLAG.sha1, REC.sha1, 20],
  ['sha256', FLAG.sha256, REC.sha256, 32],
];

if (EICAR_MAX_SIZE > REC.headMax) throw new Error('scanbatch records hold fewer head bytes than the EICAR check needs');

const EMPTY_IDS = new Uint32Array(0);
const EMPTY_HEAD = Buffer.alloc(0);

/** Records of one native call, with views made once: decoding allocates nothing per file. */
class Arena {
  readonly buf = Buffer.allocUnsafeSlow(RECORDS_PER_ARENA * REC.size);
  readonly i32 = new Int32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 2);
  readonly f64 = new Float64Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 3);
  readonly digests: Buffer[][] = KINDS.map(([, , off, len]) => Array.from({ length: RECORDS_PER_ARENA }, (_, i) => this.buf.subarray(i * REC.size + off, i * REC.size + off + len)));
  readonly map = new Map<HashKind, Buffer>();
  readonly spill = Buffer.allocUnsafeSlow(SPILL_BYTES);
  /** One PassResult per arena, refilled per file: verdict() reads it and keeps nothing of it. */
  readonly body = new Uint32Array(1);
  readonly pass: PassResult = { bytes: 0, digests: this.map, head: EMPTY_HEAD, bodyIds: EMPTY_IDS, yaraSkipped: false };
}

export class BatchScanner {
  private readonly plans = new WeakMap<DefinitionSet, ScanPlan>();
  private readonly cancels = new WeakMap<AbortSignal, Int32Array>();
  private readonly free: Arena[] = [];
  private readonly limits: Float64Array;
  /** Archives proven clean by the native pass (no walk here) and archives walked here. */
  readonly archives = { native: 0, walked: 0 };
  /** The on-demand lanes (created when first needed) and how many batches each holds. */
  private readonly lanes: { lane: ScanLane; pending: number }[] = [];
  private laneCount = 0;
  /** The most batches on the lanes at once, and all ever posted (LaneStats). */
  private maxOnLanes = 0;
  private posted = 0;

  constructor(
    /** null: the addon has no batch scanner; every batch takes the per-file path. */
    readonly native: ScanBatchBinding | null,
    private readonly hooks: BatchHooks,
    private readonly chunkSize: number,
    /** The walker's limits (resolved): the native proof of clean archives applies the same. */
    archiveLimits: ArchiveLimits,
    /**
     * Plans are loaded into the scanner process (remotePlans), whose content pass runs a set's
     * YARA rules too: sets with YARA rules then take the native path as well.
     */
    private readonly yara: { remote: boolean; limitMs: number; maxBytes: number } = { remote: false, limitMs: 30_000, maxBytes: 32 << 20 },
  ) {
    this.limits = Float64Array.from(ARCHIVE_LIMIT_FIELDS, (k) => archiveLimits[k]);
  }

  /**
   * Runs batches on `n` lanes of their own (the on-demand scanning threads) instead of the
   * libuv threadpool. Returns how many batches may be given at once per lane (LANE_DEPTH), or
   * 1 when the addon has no lanes and batches stay on the threadpool.
   */
  setLanes(n: number): number {
    if (!this.native?.scanLane || !this.native.laneBatch) return 1;
    this.laneCount = Math.max(1, Math.floor(n));
    return LANE_DEPTH;
  }

  /** The lanes' queue, measured (ARCHITECTURE §3.4; bounded by the scan limiter). */
  laneStats(): LaneStats {
    return { lanesStarted: this.lanes.length, capacity: this.laneCount * LANE_DEPTH, depth: this.onLanes(), maxDepth: this.maxOnLanes, posted: this.posted };
  }

  private onLanes(): number {
    let n = 0;
    for (const l of this.lanes) n += l.pending;
    return n;
  }

  /** The lane with the fewest batches among the first laneCount (lanes past it stay idle). */
  private pickLane(): { lane: ScanLane; pending: number } {
    let best: { lane: ScanLane; pending: number } | undefined;
    for (let i = 0; i < this.laneCount; i++) {
      const l = (this.lanes[i] ??= { lane: this.native!.scanLane!(LANE_NICE), pending: 0 });
      if (!best || l.pending < best.pending) best = l;
      if (l.pending === 0) break;
    }
    return best!;
  }

  /** Whether `set` can take the native path: no YARA rules, or rules the scanner's content pass runs. */
  supports(set: DefinitionSet): boolean {
    return this.native !== null && (set.yara === undefined || (this.yara.remote && set.yara.scannerSet !== undefined));
  }

  /**
   * `readDone` is called once no native read of this batch is left, `posted` once it sits on a
   * lane (see Engine.scanBatch).
   */
  async run(set: DefinitionSet, generation: number, files: BatchFiles, ctx: ScanContext, readDone?: () => void, posted?: () => void): Promise<BatchOutcome> {
    const out: BatchOutcome = { clean: 0, cleanBytes: 0, others: [] };
    const n = files.fds.length;
    let pending = readDone;
    const read = () => {
      const f = pending;
      pending = undefined;
      f?.();
    };
    try {
      if (!this.supports(set)) {
        await this.perFile(set, generation, files, 0, n, ctx, out);
        return out;
      }
      // Looked up here, not in nativePass: each scan's AbortSignal comes with a map the
      // optimized nativePass has not seen, and a deopt there costs a recompile of the hot loop.
      const cancel = this.cancelFlag(ctx.signal);
      for (let from = 0; from < n; from += RECORDS_PER_ARENA) {
        const to = Math.min(n, from + RECORDS_PER_ARENA);
        const arena = this.free.pop() ?? new Arena();
        try {
          await this.nativePass(set, generation, files, from, to, ctx, cancel, arena, out, to === n ? read : undefined, posted);
        } finally {
          if (this.free.length < MAX_FREE_ARENAS) this.free.push(arena);
        }
      }
      return out;
    } finally {
      read();
    }
  }

  private async perFile(set: DefinitionSet, gen: number, files: BatchFiles, from: number, to: number, ctx: ScanContext, out: BatchOutcome): Promise<void> {
    for (let i = from; i < to; i++) await this.scanOne(set, gen, files, i, ctx, out);
  }

  /** File `i` scanned on its own (the per-file path), then closed. */
  private async scanOne(set: DefinitionSet, gen: number, files: BatchFiles, i: number, ctx: ScanContext, out: BatchOutcome): Promise<void> {
    const fd = files.fds[i]!;
    try {
      const p = files.path?.(i);
      add(out, i, await this.hooks.scanOn(set, gen, p === undefined ? { fd } : { fd, path: p }, ctx));
    } finally {
      closeQuietly(fd);
    }
  }

  /** The set's plan when one was made, without making one. */
  existingPlan(set: DefinitionSet): ScanPlan | undefined {
    return this.plans.get(set);
  }

  plan(set: DefinitionSet): ScanPlan {
    let p = this.plans.get(set);
    if (!p) {
      const yara = set.yara?.scannerSet !== undefined ? { yaraSet: set.yara.scannerSet, yaraLimitMs: this.yara.limitMs, yaraMaxBytes: this.yara.maxBytes } : {};
      p = this.native!.scanPlan({ db: set.vectorscan?.database ?? null, bodyCount: set.bodyCount, chunkSize: this.chunkSize, ...set.hashPlan(), ...yara });
      this.plans.set(set, p);
    }
    return p;
  }

  /** Shared by every batch of one scan: set to 1 when its signal aborts (read between chunks). */
  private cancelFlag(signal: AbortSignal | undefined): Int32Array | null {
    if (!signal) return null;
    let f = this.cancels.get(signal);
    if (!f) {
      const flag = new Int32Array(1);
      if (signal.aborted) flag[0] = 1;
      else signal.addEventListener('abort', () => (flag[0] = 1), { once: true });
      this.cancels.set(signal, (f = flag));
    }
    return f;
  }

  private async nativePass(set: DefinitionSet, gen: number, files: BatchFiles, from: number, to: number, ctx: ScanContext, cancel: Int32Array | null, a: Arena, out: BatchOutcome, readDone?: () => void, posted?: () => void): Promise<void> {
    const flags = (ctx.computeHash ? BATCH_SHA256_ALWAYS : BATCH_SHA256_MATCHED) | (ctx.scanArchives ? BATCH_KEEP_ARCHIVES_OPEN : 0);
    const native = this.native!;
    try {
      const fds = files.fds.subarray(from, to);
      const spill = ctx.scanArchives ? a.spill : null;
      const limits = ctx.scanArchives ? this.limits : null;
      if (this.laneCount > 0 && ctx.origin === 'on_demand') {
        const l = this.pickLane();
        const p = native.laneBatch!(l.lane, this.plan(set), fds, a.buf, ctx.maxFileSize, flags, cancel, spill, limits, ctx.timeLimitMs);
        l.pending++;
        this.posted++;
        this.maxOnLanes = Math.max(this.maxOnLanes, this.onLanes());
        posted?.();
        try {
          await p;
        } finally {
          l.pending--;
        }
      } else await native.scanBatch(this.plan(set), fds, a.buf, ctx.maxFileSize, flags, cancel, spill, limits, ctx.timeLimitMs);
    } catch (e) {
      // Refused before taking the fds (a bug, not a file problem): scan them one by one.
      await this.perFile(set, gen, files, from, to, ctx, out);
      return;
    }
    readDone?.();
    const { i32, f64 } = a;
    let walks: { index: number; clean: ScanResult & { kind: 'clean' }; bytes?: Buffer }[] | undefined;
    let again: number[] | undefined;
    for (let i = from; i < to; i++) {
      const r = i - from;
      const w = (r * REC.size) >> 2;
      const status = i32[w]!;
      if (status !== STATUS.scanned) {
        add(out, i, failure(status, i32[w + (REC.detail >> 2)]!, gen));
        continue;
      }
      const fl = i32[w + (REC.flags >> 2)]!;
      if (fl & (FLAG.yaraMatched | FLAG.yaraIncomplete)) {
        // A YARA rule matched in the scanner (or did not finish): this file is scanned on its
        // own, where the match is named and the time limit applies (its fd was left open).
        (again ??= []).push(i);
        continue;
      }
      const body = i32[w + (REC.body >> 2)]!;
      const bytes = f64[(r * REC.size + REC.bytes) >> 3]!;
      let res: ScanResult | undefined;
      // A digest is evidence when some hash table holds it for this size (the pass looked
      // them up: TABLES_CHECKED), or when the scan reports every file's sha256.
      const evidence = fl & FLAG.tablesChecked && !ctx.computeHash ? FLAG.head | FLAG.hashHit : FLAG.md5 | FLAG.sha1 | FLAG.sha256 | FLAG.head;
      if (body >= 0 || fl & evidence) {
        a.map.clear();
        for (let k = 0; k < KINDS.length; k++) if (fl & KINDS[k]![1]) a.map.set(KINDS[k]![0], a.digests[k]![r]!);
        const headAt = r * REC.size + REC.head;
        const pass = a.pass;
        pass.bytes = bytes;
        pass.head = fl & FLAG.head ? a.buf.subarray(headAt, headAt + i32[w + (REC.headLen >> 2)]!) : EMPTY_HEAD;
        if (body >= 0) a.body[0] = body;
        pass.bodyIds = body >= 0 ? a.body : EMPTY_IDS;
        res = this.hooks.verdict(set, pass, ctx, gen);
        a.map.clear();
        pass.head = EMPTY_HEAD;
        // On-demand detections carry the file's sha256 whenever the pass has it (the threat
        // record needs it; the job reports the size): the threat service need not read the file.
        if (res.kind === 'detected' && res.sha256 === undefined && fl & FLAG.sha256) res.sha256 = a.digests[2]![r]!.toString('hex');
      }
      if (fl & FLAG.archiveClean) {
        // Proven clean natively: every member visited, none with evidence, no limit reached.
        this.archives.native++;
      } else if (fl & (FLAG.leftOpen | FLAG.inSpill)) {
        // An archive candidate (left open, or its bytes in the spill): walked when the file
        // itself is clean.
        if (!res || res.kind === 'clean') {
          const w: { index: number; clean: ScanResult & { kind: 'clean' }; bytes?: Buffer } = { index: i, clean: res ?? { kind: 'clean', bytes, generation: gen } };
          if (fl & FLAG.inSpill) {
            const at = f64[(r * REC.size + REC.spillAt) >> 3]!;
            w.bytes = a.spill.subarray(at, at + f64[(r * REC.size + REC.spillLen) >> 3]!);
          }
          (walks ??= []).push(w);
          this.archives.walked++;
          continue;
        }
        if (fl & FLAG.leftOpen) closeQuietly(files.fds[i]!);
      }
      if (fl & FLAG.yaraTimeout && (!res || res.kind === 'clean')) {
        // YARA stopped at its limit in the scanner with nothing found: clean, scan_timeout — as
        // the per-file path reports it, without running the rules a second time.
        this.hooks.yaraTimedOut(ctx);
        res = { ...(res ?? { kind: 'clean', bytes, generation: gen }), scanTimeout: { engine: 'yara', limitMs: ctx.timeLimitMs ?? this.yara.limitMs } } as ScanResult;
      }
      if (res) add(out, i, res);
      else {
        out.clean++;
        out.cleanBytes += bytes;
      }
    }
    for (const index of again ?? []) await this.scanOne(set, gen, files, index, ctx, out);
    // After the loop; the arena (spilled bytes included) stays ours until run() gets it back.
    if (walks) {
      for (const { index, clean, bytes } of walks) {
        const fd = files.fds[index]!;
        const p = files.path?.(index);
        const source = p === undefined ? { fd } : { fd, path: p };
        try {
          add(out, index, await this.hooks.walk(set, bytes ? new BufferSource(bytes) : fd, source, ctx, clean));
        } catch (e) {
          // The walker reports archive problems as results; this is a bug, kept to this file.
          add(out, index, { kind: 'error', code: 'WDAV_ERR_INTERNAL', message: errorMessage(e), generation: gen });
        } finally {
          if (!bytes) closeQuietly(fd);
        }
      }
    }
  }
}

function add(out: BatchOutcome, index: number, result: ScanResult): void {
  // A clean file whose YARA scan timed out (scan_timeout) or with unscanned archive members
  // (the job lists them) is reported one by one.
  if (result.kind === 'clean' && result.sha256 === undefined && !result.scanTimeout && result.unscannedCount === undefined) {
    out.clean++;
    out.cleanBytes += result.bytes;
  } else out.others.push({ index, result });
}

function failure(status: number, detail: number, generation: number): ScanResult {
  switch (status) {
    case STATUS.notRegular:
      return { kind: 'skipped', reason: 'not_regular_file', generation };
    case STATUS.tooLarge:
      return { kind: 'skipped', reason: 'too_large', generation };
    case STATUS.cancelled:
      return { kind: 'error', code: CANCELLED, message: 'The scan was cancelled', generation };
    case STATUS.scanError:
      if (detail === SCAN_ERROR_DETAIL.scannerUnavailable) return { kind: 'error', code: 'WDAV_ERR_SCANNER', message: 'the scanner process could not scan it (it went away or was busy)', generation };
      if (detail === SCAN_ERROR_DETAIL.scannerLate) return { kind: 'error', code: 'WDAV_ERR_SCANNER', message: 'the scanner process did not answer in time', generation };
      return { kind: 'error', code: 'WDAV_ERR_NATIVE', message: detail ? 'Vectorscan scan failed' : 'Vectorscan stream could not be opened', generation };
    default: {
      let code: string;
      try {
        code = getSystemErrorName(-status);
      } catch {
        code = `errno ${status}`;
      }
      const f = classifyFailure({ code, errno: -status, message: `${code}: the file could not be read, read` });
      return { ...f, generation };
    }
  }
}

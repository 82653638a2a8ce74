// src/scan/walker.ts — the on-demand walker as the scan job sees it: batches of opened regular
// files, with exclusions applied (the shared ExclusionMatcher, also for pruning excluded
// directories) and counts of everything skipped and why. The walk itself (openat-relative, no
// symlinks below a root, no FIFOs/sockets/devices, dev+ino loop safety, pseudo mounts skipped)
// is native (native/core/walker.*); a directory step runs on the libuv threadpool, and the
// walk keeps up to READ_AHEAD batches listed (and opened) ahead of the scan.
// Ownership: every fd of a batch returned by next() belongs to the caller, who closes it; the
// batches listed ahead are the walker's until then (close() closes them).
// Must not: scan, or keep more than one native step in flight.
import fs from 'node:fs';
import { closeQuietly } from '../shared/fd.js';
import type { Exclusion } from '../config/settings.js';
import type { NativeBinding } from '../shared/native.js';
import { ExclusionMatcher } from './exclusions.js';
import { WALK_COUNTS, walkerCtor, type NativeWalkBatch, type NativeWalker, type PathBlock, type WalkCount } from './walker-native.js';

export type WalkCounts = Record<WalkCount | 'excluded', number>;

export interface WalkEvent {
  path: string;
  code: string;
}

export interface WalkerOptions {
  roots: readonly string[];
  /** null: exclusions are ignored (--ignore-exclusions). Process exclusions never apply here. */
  exclusions: readonly Exclusion[] | null;
  /** [major, minor] pairs never entered. */
  skipDevices?: Uint32Array;
  /** Files opened per native step. */
  batch?: number;
  /** Batches listed ahead of the caller (default READ_AHEAD). */
  readAhead?: number;
  maxDepth?: number;
  /** Failure events kept for the report (all are counted). */
  maxEvents?: number;
}

/** One batch of opened files. Paths are decoded only when asked for. */
export class FileBatch {
  constructor(
    readonly fds: Int32Array,
    readonly sizes: Float64Array,
    private readonly paths: PathBlock,
    private readonly raws: (Buffer | undefined)[],
  ) {}

  get length(): number {
    return this.fds.length;
  }

  /** The display path (valid UTF-8; bytes that are not, as \xHH). */
  path(i: number): string {
    const o = this.paths.offsets;
    return this.paths.text.toString('utf8', o[i]!, o[i + 1]!);
  }

  /** The path's bytes when they are not valid UTF-8, else undefined. */
  raw(i: number): Buffer | undefined {
    return this.raws[i];
  }

  /** Closes fds [from, length) — for a batch abandoned by a cancelled scan. */
  closeFrom(from: number): void {
    for (let i = from; i < this.fds.length; i++) closeQuietly(this.fds[i]!);
  }
}

/**
 * Roots that another root already covers (the same directory, one inside it, or a link to
 * either: /lib -> usr/lib next to /usr) are dropped, so nothing is scanned twice. The native
 * walker's loop check only sees a directory's ancestors, not other roots.
 */
export function coveredOnce(roots: readonly string[]): string[] {
  const real = roots.map((r) => {
    try {
      return fs.realpathSync(r);
    } catch {
      return null; // the walker reports what is wrong with it
    }
  });
  const inside = (p: string, dir: string) => dir === '/' || p === dir || p.startsWith(`${dir}/`);
  return roots.filter((_, i) => {
    const p = real[i];
    if (p === null) return true;
    return !real.some((q, j) => j !== i && q !== null && inside(p, q) && (p !== q || j < i));
  });
}

function fileBatch(b: NativeWalkBatch): FileBatch {
  return new FileBatch(b.fds, b.sizes, b.paths, b.raws);
}

function blockPath(b: PathBlock, i: number): string {
  return b.text.toString('utf8', b.offsets[i]!, b.offsets[i + 1]!);
}

/**
 * Batches listed ahead. One step (128 files: getdents, open, fstat) takes longer than scanning a
 * group of small files on two threads, and it competes with those threads for the CPU: with one
 * batch ahead the scan waited for the walk ~35 ms per benchmark scan (bench/scan). Listed ahead
 * while large files are scanned, the walk is ready when the small ones come. Bounded: at most
 * READ_AHEAD × batch fds are held ahead of the scan.
 */
export const READ_AHEAD = 3;

export class ScanWalker {
  readonly counts: WalkCounts = Object.fromEntries([...WALK_COUNTS, 'excluded'].map((k) => [k, 0])) as WalkCounts;
  readonly events: WalkEvent[] = [];
  private readonly native: NativeWalker;
  private readonly matcher: ExclusionMatcher | null;
  private readonly maxEvents: number;
  private readonly readAhead: number;
  private decisions: Uint8Array | undefined;
  /** The native step in flight (at most one), settled into `ready` or `failure`. */
  private step: Promise<void> | null = null;
  private readonly ready: NativeWalkBatch[] = [];
  private failure: { error: unknown } | null = null;
  private finished = false;
  private closed = false;

  constructor(binding: NativeBinding, opts: WalkerOptions) {
    const pathRules = (opts.exclusions ?? []).filter((e) => e.kind !== 'process');
    this.matcher = pathRules.length > 0 ? new ExclusionMatcher(pathRules) : null;
    this.maxEvents = opts.maxEvents ?? 200;
    this.readAhead = Math.max(1, opts.readAhead ?? READ_AHEAD);
    const roots: Buffer[] = [];
    for (const r of coveredOnce(opts.roots)) {
      if (this.matcher && this.rootExcluded(r)) this.counts.excluded++;
      else roots.push(Buffer.from(r));
    }
    const Ctor = walkerCtor(binding);
    this.native = new Ctor(roots, {
      filter: this.matcher !== null,
      batch: opts.batch ?? 128,
      maxDepth: opts.maxDepth ?? 4096,
      skipDevs: opts.skipDevices ?? new Uint32Array(0),
      noatime: true,
    });
  }

  private rootExcluded(root: string): boolean {
    let dir = false;
    try {
      dir = fs.statSync(root).isDirectory();
    } catch {
      // The walker reports what is wrong with it.
    }
    return (dir ? this.matcher!.coversDirectory(root) : this.matcher!.matchFile(root)) !== null;
  }

  /** The next batch of opened files, or null when the walk is over (or closed). */
  async next(): Promise<FileBatch | null> {
    for (;;) {
      if (this.closed) return null;
      const b = this.ready.shift();
      if (b) {
        this.pump();
        return fileBatch(b);
      }
      if (this.failure) throw this.failure.error;
      if (this.finished) return null;
      this.pump();
      await this.step;
    }
  }

  /**
   * Starts the next native step unless one is running, the walk is over, or READ_AHEAD batches
   * are waiting. A step needs the exclusion decisions of the one before (absorb computes them
   * when it lands), so steps run strictly one after the other.
   */
  private pump(): void {
    if (this.step || this.finished || this.closed || this.failure || this.ready.length >= this.readAhead) return;
    this.step = this.native.next(this.takeDecisions()).then(
      (b) => {
        this.step = null;
        this.absorb(b);
        if (this.closed) {
          fileBatch(b).closeFrom(0);
          return;
        }
        if (b.done) this.finished = true;
        if (b.fds.length > 0) this.ready.push(b);
        this.pump();
      },
      (error: unknown) => {
        this.step = null;
        this.failure = { error };
      },
    );
  }

  private takeDecisions(): Uint8Array | undefined {
    const d = this.decisions;
    this.decisions = undefined;
    return d;
  }

  private absorb(b: NativeWalkBatch): void {
    for (let i = 0; i < WALK_COUNTS.length; i++) this.counts[WALK_COUNTS[i]!] += b.counts[i]!;
    for (const ev of b.events) if (this.events.length < this.maxEvents) this.events.push(ev);
    const n = b.candidateKinds.length;
    if (n === 0) return;
    const d = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const p = blockPath(b.candidates, i);
      const hit = b.candidateKinds[i] === 1 ? this.matcher!.coversDirectory(p) : this.matcher!.matchFile(p);
      if (hit) this.counts.excluded++;
      else d[i] = 1;
    }
    this.decisions = d;
  }

  /** Stops the walk; directory fds close now or when the running step ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
    // Batches listed ahead that nobody will read: their files are closed here, the running
    // step's when it lands (pump's handler sees `closed`).
    for (const b of this.ready.splice(0)) fileBatch(b).closeFrom(0);
    await this.step;
  }
}

// src/scan/walker.ts — the on-demand walker as the scan job sees it: batches of opened regular
// files, with exclusions applied (the shared ExclusionMatcher, also for pruning excluded
// directories) and counts of everything skipped and why. The walk itself (openat-relative, no
// symlinks below a root, no FIFOs/sockets/devices, dev+ino loop safety, pseudo mounts skipped)
// is native (native/core/walker.*); a directory step runs on the libuv threadpool, and the
// next batch is listed while the current one is scanned.
// Ownership: every fd of a batch returned by next() belongs to the caller, who closes it.
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

function blockPath(b: PathBlock, i: number): string {
  return b.text.toString('utf8', b.offsets[i]!, b.offsets[i + 1]!);
}

export class ScanWalker {
  readonly counts: WalkCounts = Object.fromEntries([...WALK_COUNTS, 'excluded'].map((k) => [k, 0])) as WalkCounts;
  readonly events: WalkEvent[] = [];
  private readonly native: NativeWalker;
  private readonly matcher: ExclusionMatcher | null;
  private readonly maxEvents: number;
  private decisions: Uint8Array | undefined;
  private pending: Promise<NativeWalkBatch> | null = null;
  private finished = false;
  private closed = false;

  constructor(binding: NativeBinding, opts: WalkerOptions) {
    const pathRules = (opts.exclusions ?? []).filter((e) => e.kind !== 'process');
    this.matcher = pathRules.length > 0 ? new ExclusionMatcher(pathRules) : null;
    this.maxEvents = opts.maxEvents ?? 200;
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
      if (this.finished || this.closed) return null;
      // Take the step out of `pending` before waiting, so close() never sees it too.
      const step = this.pending ?? this.native.next(this.takeDecisions());
      this.pending = null;
      const b = await step;
      this.absorb(b);
      if (this.closed) {
        new FileBatch(b.fds, b.sizes, b.paths, b.raws).closeFrom(0);
        return null;
      }
      if (b.done) this.finished = true;
      // Start listing the next batch while the caller scans this one, unless approvals are
      // needed first (they are computed just above, in absorb).
      else if (b.candidateKinds.length === 0) this.pending = this.native.next();
      if (b.fds.length > 0) return new FileBatch(b.fds, b.sizes, b.paths, b.raws);
    }
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
    const p = this.pending;
    this.pending = null;
    if (p) {
      // A prefetched batch nobody will read: close its files.
      const b = await p.catch(() => null);
      if (b) new FileBatch(b.fds, b.sizes, b.paths, b.raws).closeFrom(0);
    }
  }
}

// src/engine/archives/walk-state.ts — what one archive walk counts and enforces, whatever the
// format: members, bytes, notes, unscanned members, the limits found exceeded, the deadline and
// the caller's cancellation, and the meters every member's bytes pass through (docs/archives.md).
// The format walking itself is walker.ts (class Walk extends WalkState).
// Owns: the walk's accounting. Must not: parse archives or call the scanner.
import type { UnscannedMember, ScanMember } from './types.js';
import { MAX_UNSCANNED_LISTED } from './types.js';
import { type ArchiveLimits, type ArchiveLimitName, ArchiveLimitExceeded, ArchiveFormatError, limitDetectionName } from './limits.js';
import { errorMessage } from '../../shared/errors.js';

/** The walk stopped because the caller's signal aborted. */
export class Cancelled extends Error {}

/** The reason of the scanner's signal at the walk's deadline (made once: no stack per walk). */
export const DEADLINE = new Error('the archive walk reached maxScanTimeMs');

const MAX_NOTES = 20;

export class WalkState {
  members = 0;
  bytes = 0;
  notes: string[] = [];
  memberError: { code: string; message: string } | null = null;
  unscanned: UnscannedMember[] = [];
  unscannedCount = 0;
  /** Limits found exceeded (see WalkStats.limitsExceeded), by `${limit}@${memberPath}`. */
  readonly exceeded = new Set<string>();
  protected limitHit: ArchiveLimitExceeded | null = null;
  protected formatError: ArchiveFormatError | null = null;
  private readonly deadline: number;

  constructor(
    protected readonly limits: ArchiveLimits,
    protected readonly scanMember: ScanMember,
    readonly signal: AbortSignal,
    protected readonly userSignal: AbortSignal | undefined,
    protected readonly tmpDir: string | undefined,
  ) {
    this.deadline = Date.now() + limits.maxScanTimeMs;
  }

  note(text: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
  }

  limit(name: ArchiveLimitName, memberPath: string, detail: string): ArchiveLimitExceeded {
    const e = new ArchiveLimitExceeded(name, memberPath, detail);
    if (!this.limitHit) this.exceeded.add(`${name}@${memberPath}`);
    this.limitHit ??= e;
    return this.limitHit;
  }

  /**
   * A limit seen before the members it concerns are reached (from a zip directory): noted and
   * counted now, raised when the walk gets there — unless a threat found before it ends the walk.
   */
  foresee(name: ArchiveLimitName, memberPath: string, detail: string): void {
    const key = `${name}@${memberPath}`;
    if (this.exceeded.has(key)) return;
    this.exceeded.add(key);
    this.note(`${memberPath || '(file)'}: ${limitDetectionName(name)}: ${detail}`);
  }

  /** A member that is counted but cannot be looked into: reported, never clean. */
  notScanned(member: string, why: Omit<UnscannedMember, 'member'>): void {
    this.unscannedCount++;
    if (this.unscanned.length < MAX_UNSCANNED_LISTED) this.unscanned.push({ member, ...why });
  }

  /** Called between every chunk: abort, time budget and a limit already hit inside the scanner. */
  check(at: string): void {
    if (this.limitHit) throw this.limitHit;
    if (this.userSignal?.aborted) throw new Cancelled();
    // The deadline timer and this clock can disagree by a millisecond: once the timer has fired
    // (and told the scanner to stop), the time is up, or the next member would get a scanner
    // signal that is already aborted and never fires again.
    if (Date.now() > this.deadline || this.signal.reason === DEADLINE) throw this.limit('MaxScanTime', at, `walk took longer than ${this.limits.maxScanTimeMs} ms`);
  }

  protected async *meter(body: AsyncIterable<Buffer>, at: string): AsyncGenerator<Buffer> {
    let n = 0;
    const it = body[Symbol.asyncIterator]();
    try {
      for (;;) {
        let r: IteratorResult<Buffer>;
        try {
          r = await it.next();
        } catch (e) {
          if (e instanceof ArchiveLimitExceeded || e instanceof Cancelled) throw e;
          // Corrupt member data (bad deflate stream, wrong declared size, truncated tar): remembered
          // so a scanner that turns the exception into an error verdict still yields a note.
          this.formatError = e instanceof ArchiveFormatError ? e : new ArchiveFormatError(errorMessage(e));
          throw this.formatError;
        }
        if (r.done) return;
        const c = r.value;
        this.check(at);
        n += c.length;
        this.bytes += c.length;
        if (n > this.limits.maxFileSize) throw this.limit('MaxFileSize', at, `member larger than ${this.limits.maxFileSize} bytes`);
        if (this.bytes > this.limits.maxScanSize) throw this.limit('MaxScanSize', at, `more than ${this.limits.maxScanSize} bytes scanned`);
        yield c;
      }
    } finally {
      await it.return?.();
    }
  }

  protected async *ratioMeter(out: AsyncIterable<Buffer>, consumed: () => number, at: string): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const c of out) {
      this.check(at);
      n += c.length;
      if (n > this.limits.ratioMinSize && n / Math.max(1, consumed()) > this.limits.maxRatio) {
        throw this.limit('MaxCompressionRatio', at, `${n} bytes from ${consumed()} compressed`);
      }
      yield c;
    }
  }
}

// src/engine/archives/walker.ts — walks zip, gzip, tar and tar.gz archives, nested, and hands each
// member to the engine's scanMember callback as a stream of chunks, under clamd-like limits
// (docs/archives.md). Exceeding a limit ends the walk with an `archive_bomb` detection; a malformed
// archive ends that archive with a note; nothing throws out of walkArchive.
// Owns: recursion, member/byte/time accounting, naming members `inner.tar.gz->evil.bin`.
// Must not: match signatures (scanMember does), close a caller's fd, hold a whole archive in memory
// (nested archives above limits.spoolInMemory are spooled to an unlinked temp file).
import path from 'node:path';
import zlib from 'node:zlib';
import type { Detection, ScanSource } from '../types.js';
import { ByteReader } from './byte-reader.js';
import { readTar } from './tar-reader.js';
import { gunzipMembers } from './gunzip.js';
import { openZip, findOverlap } from './zip.js';
import { type ByteSource, BufferSource, openSource, spool } from './source.js';
import { detectArchiveFormat, gzipName, gunzippedName } from './formats.js';
import {
  type ArchiveFormat,
  type ArchiveMember,
  type ArchiveWalkContext,
  type ArchiveWalkResult,
  type MemberVerdict,
  type ScanMember,
  type WalkStats,
  SCAN_CANCELLED,
} from './types.js';
import {
  type ArchiveLimits,
  type ArchiveLimitName,
  ArchiveLimitExceeded,
  ArchiveFormatError,
  limitDetectionName,
  resolveArchiveLimits,
} from './limits.js';
import { errorMessage, isWdavError } from '../../shared/errors.js';

class Cancelled extends Error {}

/** Largest output of a gzip inflated in one synchronous call (see walkGzip). */
const GUNZIP_AT_ONCE = 256 * 1024;

function gunzipAtOnce(buf: Buffer, max: number): Buffer | null {
  try {
    return zlib.gunzipSync(buf, { maxOutputLength: max });
  } catch {
    return null; // too large or malformed: the streaming path handles it
  }
}

/** The reason of the scanner's signal at the walk's deadline (made once: no stack per walk). */
const DEADLINE = new Error('the archive walk reached maxScanTimeMs');

const MAX_NOTES = 20;

class Walk {
  members = 0;
  bytes = 0;
  notes: string[] = [];
  memberError: { code: string; message: string } | null = null;
  private limitHit: ArchiveLimitExceeded | null = null;
  private formatError: ArchiveFormatError | null = null;
  private readonly deadline: number;

  constructor(
    private readonly limits: ArchiveLimits,
    private readonly scanMember: ScanMember,
    readonly signal: AbortSignal,
    private readonly userSignal: AbortSignal | undefined,
    private readonly tmpDir: string | undefined,
  ) {
    this.deadline = Date.now() + limits.maxScanTimeMs;
  }

  note(text: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
  }

  limit(name: ArchiveLimitName, memberPath: string, detail: string): ArchiveLimitExceeded {
    const e = new ArchiveLimitExceeded(name, memberPath, detail);
    this.limitHit ??= e;
    return this.limitHit;
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

  private async *meter(body: AsyncIterable<Buffer>, at: string): AsyncGenerator<Buffer> {
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

  /** Walks one archive; a malformed one ends with a note, limits and cancellation propagate. */
  async walk(src: ByteSource, format: ArchiveFormat, prefix: string, depth: number, name: string): Promise<Detection | null> {
    try {
      if (format === 'zip') return await this.walkZip(src, prefix, depth);
      if (format === 'tar') return await this.walkTar(new ByteReader(src.chunks()), prefix, depth);
      return await this.walkGzip(src, prefix, depth, name);
    } catch (e) {
      if (e instanceof ArchiveLimitExceeded || e instanceof Cancelled) throw e;
      if (this.limitHit) throw this.limitHit;
      this.note(`${prefix ? prefix.slice(0, -2) : '(file)'}: malformed ${format}: ${errorMessage(e)}`);
      return null;
    }
  }

  private async walkZip(src: ByteSource, prefix: string, depth: number): Promise<Detection | null> {
    const zip = await openZip(src);
    const here = prefix.slice(0, -2);
    try {
      if (this.members + zip.entryCount > this.limits.maxFiles) {
        throw this.limit('MaxFiles', here, `${zip.entryCount} entries would exceed ${this.limits.maxFiles} members`);
      }
      const members = await zip.members(zip.entryCount);
      const overlap = findOverlap(members);
      if (overlap) throw this.limit('OverlappingFiles', here, `entries '${overlap[0]}' and '${overlap[1]}' overlap`);
      for (const m of members) {
        const at = prefix + m.name;
        this.check(at);
        if (m.directory) continue;
        if (m.encrypted || !m.supported) {
          this.members++;
          this.note(`${at}: not scanned (${m.encrypted ? 'encrypted' : 'unsupported compression method'})`);
          continue;
        }
        const { maxRatio, ratioMinSize } = this.limits;
        if (m.uncompressedSize > ratioMinSize && m.uncompressedSize / Math.max(1, m.compressedSize) > maxRatio) {
          throw this.limit('MaxCompressionRatio', at, `${m.uncompressedSize} bytes from ${m.compressedSize} compressed`);
        }
        const det = await this.member(at, m.uncompressedSize, depth, () => zip.open(m));
        if (det) return det;
      }
      return null;
    } finally {
      zip.close();
    }
  }

  private async walkTar(reader: ByteReader, prefix: string, depth: number): Promise<Detection | null> {
    try {
      for await (const e of readTar(reader, { pastEnd: true })) {
        if (e.type !== 'file') continue;
        const det = await this.member(prefix + e.name, e.size, depth, async () => e.body);
        if (det) return det;
      }
      return null;
    } finally {
      await reader.close();
    }
  }

  private async walkGzip(src: ByteSource, prefix: string, depth: number, name: string): Promise<Detection | null> {
    // A small gzip held in memory is inflated in one bounded synchronous call when its whole
    // output fits in GUNZIP_AT_ONCE (below ratioMinSize, so no ratio limit could fire): the same
    // walk as below without a zlib stream and its threadpool round trips. Larger, odd (trailing
    // bytes) or corrupt ones take the streaming path from the start, so their limits and notes
    // are unchanged.
    const whole = src.buffer ? gunzipAtOnce(src.buffer, Math.min(this.limits.ratioMinSize, GUNZIP_AT_ONCE)) : null;
    if (whole) {
      this.check(prefix ? prefix.slice(0, -2) : '');
      return this.walkInflated(new ByteReader(new BufferSource(whole).chunks()), src, prefix, depth, name);
    }
    const here = prefix ? prefix.slice(0, -2) : '';
    // Every member, as zcat does (gunzip.ts): content after the first member, or before
    // trailing garbage or a cut-off trailer, is scanned like the rest.
    const g = gunzipMembers(src, { note: (text) => this.note(`${here || '(file)'}: ${text}`), check: () => this.check(here) });
    try {
      return await this.walkInflated(new ByteReader(this.ratioMeter(g.output, g.state.consumed, here)), src, prefix, depth, name);
    } finally {
      await g.output.return(undefined);
    }
  }

  private async walkInflated(reader: ByteReader, src: ByteSource, prefix: string, depth: number, name: string): Promise<Detection | null> {
    try {
      const head = await reader.peek(512);
      // A tarball's own name stands for its members: `b.tar.gz->x.bin`, not `b.tar.gz->b.tar->x.bin`.
      if (detectArchiveFormat(head) === 'tar') return await this.walkTar(reader, prefix, depth);
      const inner = gzipName(await src.head(4096)) ?? gunzippedName(name);
      return await this.member(prefix + inner, undefined, depth, async () => reader.rest());
    } finally {
      await reader.close();
    }
  }

  private async *ratioMeter(out: AsyncIterable<Buffer>, consumed: () => number, at: string): AsyncGenerator<Buffer> {
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

  /** One member: scanned as it streams, or spooled first when it is itself an archive (or of unknown size). */
  private async member(at: string, declared: number | undefined, depth: number, open: () => Promise<AsyncIterable<Buffer>>): Promise<Detection | null> {
    this.check(at);
    if (++this.members > this.limits.maxFiles) throw this.limit('MaxFiles', at, `more than ${this.limits.maxFiles} members`);
    if (declared !== undefined && declared > this.limits.maxFileSize) {
      throw this.limit('MaxFileSize', at, `member of ${declared} bytes exceeds ${this.limits.maxFileSize}`);
    }
    let reader: ByteReader | null = null;
    try {
      reader = new ByteReader(this.meter(await open(), at));
      const format = detectArchiveFormat(await reader.peek(512));
      if (!format && declared !== undefined) {
        const streamed = reader;
        return await this.scan({ path: at, size: declared, depth, chunks: () => streamed.rest() });
      }
      const src = await spool(reader.rest(), this.limits.spoolInMemory, this.tmpDir);
      try {
        const det = await this.scan({ path: at, size: src.size, depth, ...(src.buffer ? { buffer: src.buffer } : {}), chunks: () => src.chunks() });
        if (det || !format) return det;
        if (depth + 1 > this.limits.maxDepth) throw this.limit('MaxRecursion', at, `archives nested deeper than ${this.limits.maxDepth} levels`);
        return await this.walk(src, format, `${at}->`, depth + 1, path.posix.basename(at));
      } finally {
        await src.close();
      }
    } catch (e) {
      // Corrupt member data ends this member only; the archive's other members are still scanned.
      if (!(e instanceof ArchiveFormatError) || this.limitHit) throw e;
      this.formatError = null;
      this.note(`${at}: ${e.message}`);
      return null;
    } finally {
      await reader?.close();
    }
  }

  private async scan(member: ArchiveMember): Promise<Detection | null> {
    let verdict: MemberVerdict;
    this.check(member.path);
    try {
      verdict = await this.scanMember(member, this.signal);
    } catch (e) {
      if (this.limitHit) throw this.limitHit;
      if (e instanceof Cancelled || this.userSignal?.aborted) throw new Cancelled();
      if (e instanceof ArchiveFormatError) {
        this.formatError = null;
        this.note(`${member.path}: ${e.message}`);
        return null;
      }
      verdict = { kind: 'error', code: isWdavError(e) ? e.code : 'WDAV_ERR_INTERNAL', message: errorMessage(e) };
    }
    // The scanner may have swallowed the limit error thrown through chunks(): the limit still wins.
    if (this.limitHit) throw this.limitHit;
    this.check(member.path);
    if (this.formatError) {
      this.note(`${member.path}: ${this.formatError.message}`);
      this.formatError = null;
      if (verdict.kind !== 'detected') return null;
    }
    switch (verdict.kind) {
      case 'detected':
        return { name: verdict.name, threatType: verdict.threatType, engine: verdict.engine, memberPath: member.path };
      case 'error':
        this.memberError ??= { code: verdict.code, message: `${member.path}: ${verdict.message}` };
        return null;
      case 'skipped':
        this.note(`${member.path}: skipped (${verdict.reason})`);
        return null;
      default:
        return null;
    }
  }
}

/**
 * Walks the archive in `source` (an fd, which stays open, or a path) and calls scanMember for
 * every member. The scanned file itself is NOT passed to scanMember: the caller scans it.
 */
export async function walkArchive(source: ScanSource | ByteSource, ctx: ArchiveWalkContext, scanMember: ScanMember): Promise<ArchiveWalkResult> {
  let opened: { src: ByteSource; name: string } | null = null;
  // One controller for the scanner's signal: aborted by the caller's signal or at the deadline.
  // (Not AbortSignal.any, and never aborted without a reason: both build DOMExceptions.)
  const timer = new AbortController();
  const forward = () => timer.abort(ctx.signal!.reason);
  let stats: WalkStats | undefined;
  try {
    const limits = resolveArchiveLimits(ctx.limits);
    opened = 'chunks' in source ? { src: source, name: ctx.name ?? '' } : await openSource(source);
    const format = detectArchiveFormat(await opened.src.head(512));
    if (!format) return { kind: 'not_archive' };
    if (ctx.signal?.aborted) timer.abort(ctx.signal.reason);
    else ctx.signal?.addEventListener('abort', forward, { once: true });
    const walk = new Walk(limits, scanMember, timer.signal, ctx.signal, ctx.tmpDir);
    stats = { format, members: 0, bytes: 0, notes: walk.notes };
    const deadline = setTimeout(() => timer.abort(DEADLINE), limits.maxScanTimeMs);
    try {
      const det = await walk.walk(opened.src, format, '', 1, ctx.name ?? opened.name);
      Object.assign(stats, { members: walk.members, bytes: walk.bytes });
      if (det) return { kind: 'detected', detection: det, ...stats };
      if (walk.memberError) return { kind: 'error', ...walk.memberError, ...stats };
      return { kind: 'clean', ...stats };
    } catch (e) {
      Object.assign(stats, { members: walk.members, bytes: walk.bytes });
      throw e;
    } finally {
      clearTimeout(deadline);
    }
  } catch (e) {
    if (e instanceof ArchiveLimitExceeded) {
      const detection: Detection = { name: limitDetectionName(e.limit), threatType: 'archive_bomb', engine: 'archive_limit' };
      if (e.memberPath) detection.memberPath = e.memberPath;
      return { kind: 'detected', detection, ...(stats ?? { format: 'zip', members: 0, bytes: 0, notes: [] }), notes: [...(stats?.notes ?? []), e.message] };
    }
    if (e instanceof Cancelled) return { kind: 'error', code: SCAN_CANCELLED, message: 'The scan was cancelled', ...stats };
    const code = isWdavError(e) ? e.code : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'WDAV_ERR_NOT_FOUND' : 'WDAV_ERR_INTERNAL';
    return { kind: 'error', code, message: errorMessage(e), ...stats };
  } finally {
    ctx.signal?.removeEventListener('abort', forward);
    if (opened && !('chunks' in source)) await opened.src.close().catch(() => undefined);
  }
}


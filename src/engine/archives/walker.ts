// src/engine/archives/walker.ts — walks zip, gzip, tar and tar.gz archives, nested, and hands each
// member to the engine's scanMember callback as a stream of chunks, under clamd-like limits
// (docs/archives.md). Exceeding a limit ends the walk with an `archive_bomb` detection — unless a
// threat found before it already did; a malformed archive ends that archive with a note; members
// it cannot decompress are returned as `unscanned`; nothing throws out of walkArchive. Zips are
// found from their end record too, so a zip behind a prefix (a self-extractor) is walked.
// Owns: recursion, naming members `inner.tar.gz->evil.bin` (accounting: walk-state.ts).
// Must not: match signatures (scanMember does), close a caller's fd, hold a whole archive in memory
// (nested archives above limits.spoolInMemory are spooled to an unlinked temp file).
import path from 'node:path';
import zlib from 'node:zlib';
import type { Detection, ScanSource } from '../types.js';
import { ByteReader } from './byte-reader.js';
import { readTar, TarTrailingData } from './tar-reader.js';
import { gunzipMembers } from './gunzip.js';
import { openZip, overlapping, ZipSizeMismatch } from './zip.js';
import { TailKeeper, zipAtEnd } from './embedded-zip.js';
import { mayEndInZip, type ZipEnd } from './zip-directory.js';
import { type ByteSource, BufferSource, openSource, spool } from './source.js';
import { detectArchiveFormat, gzipName, gunzippedName } from './formats.js';
import { type ArchiveFormat, type ArchiveMember, type ArchiveWalkContext, type ArchiveWalkResult, type MemberVerdict, type ScanMember, type WalkStats, SCAN_CANCELLED } from './types.js';
import { ArchiveLimitExceeded, ArchiveFormatError, limitDetectionName, resolveArchiveLimits } from './limits.js';
import { Cancelled, DEADLINE, WalkState } from './walk-state.js';
import { errorMessage, isWdavError } from '../../shared/errors.js';

/** Largest output of a gzip inflated in one synchronous call (see walkGzip). */
const GUNZIP_AT_ONCE = 256 * 1024;

function gunzipAtOnce(buf: Buffer, max: number): Buffer | null {
  try {
    return zlib.gunzipSync(buf, { maxOutputLength: max });
  } catch {
    return null; // too large or malformed: the streaming path handles it
  }
}

class Walk extends WalkState {
  /** Walks one archive; a malformed one ends with a note, limits and cancellation propagate. */
  async walk(src: ByteSource, format: ArchiveFormat, prefix: string, depth: number, name: string, end?: ZipEnd): Promise<Detection | null> {
    try {
      if (format === 'zip') return await this.walkZip(src, prefix, depth, end);
      if (format === 'tar') return await this.walkTar(new ByteReader(src.chunks()), prefix, depth, src);
      return await this.walkGzip(src, prefix, depth, name);
    } catch (e) {
      if (e instanceof ArchiveLimitExceeded || e instanceof Cancelled) throw e;
      if (this.limitHit) throw this.limitHit;
      this.note(`${prefix ? prefix.slice(0, -2) : '(file)'}: malformed ${format}: ${errorMessage(e)}`);
      if (format === 'tar' && e instanceof TarTrailingData) return await this.zipAfter(src, e.at, prefix, depth);
      return null;
    }
  }

  /**
   * A zip appended to a gzip or tar (the data after them): unzip extracts it whatever precedes
   * it, so it is walked too — only when its directory lies in that data, so a tar whose last
   * member is a zip is not walked twice.
   */
  private async zipAfter(src: ByteSource, from: number, prefix: string, depth: number): Promise<Detection | null> {
    const end = await zipAtEnd(src);
    if (!end || end.cdStart < from) return null;
    return this.walk(src, 'zip', prefix, depth, '', end);
  }

  private async walkZip(src: ByteSource, prefix: string, depth: number, end?: ZipEnd): Promise<Detection | null> {
    const zip = await openZip(src, end);
    const here = prefix.slice(0, -2);
    const where = here || '(file)';
    if (zip.prefix > 0) this.note(`${where}: ${zip.prefix} bytes before the zip (offsets counted from the zip's start)`);
    if (zip.trailing > 0) this.note(`${where}: ${zip.trailing} bytes after the zip's end record`);
    // A directory of more entries than maxFiles leaves room for: the entries within the limit
    // are still scanned first (a threat among them is the verdict), then the limit fires.
    const room = Math.max(0, this.limits.maxFiles - this.members);
    const tooMany = zip.entryCount > room;
    if (tooMany) this.foresee('MaxFiles', here, `${zip.entryCount} entries would exceed ${this.limits.maxFiles} members`);
    const { members, failure } = await zip.members(Math.min(zip.entryCount, room + 1));
    // Overlapping entries (a Fifield bomb): the limit fires at the first of them, not before.
    const overlap = overlapping(members);
    if (overlap.size > 0) this.foresee('OverlappingFiles', here, `${overlap.size} entries overlap`);
    const tooManyAt = () => this.limit('MaxFiles', here, `${zip.entryCount} entries would exceed ${this.limits.maxFiles} members`);
    for (const m of members) {
      const at = prefix + m.name;
      this.check(at);
      if (overlap.has(m)) throw this.limit('OverlappingFiles', here, `entry '${m.name}' overlaps another`);
      if (m.directory) continue;
      // The limit seen in the directory, where the walk reaches it: named by the zip, as before.
      if (tooMany && this.members >= this.limits.maxFiles) throw tooManyAt();
      if (m.unscannable) {
        if (++this.members > this.limits.maxFiles) throw this.limit('MaxFiles', here, `more than ${this.limits.maxFiles} members`);
        this.notScanned(at, m.unscannable);
        continue;
      }
      const { maxRatio, ratioMinSize } = this.limits;
      if (m.uncompressedSize > ratioMinSize && m.uncompressedSize / Math.max(1, m.compressedSize) > maxRatio) {
        throw this.limit('MaxCompressionRatio', at, `${m.uncompressedSize} bytes from ${m.compressedSize} compressed`);
      }
      const open = async (exact: boolean) => {
        const e = await zip.open(m, exact);
        return this.ratioMeter(e.data, e.consumed, at);
      };
      const det = await this.member(at, m.uncompressedSize, depth, () => open(true), () => open(false));
      if (det) return det;
    }
    if (tooMany) throw tooManyAt();
    if (failure) {
      this.note(`${where}: ${failure}`);
      this.notScanned(`${prefix}(${zip.entryCount - members.length} more entries)`, { reason: 'unreadable_directory' });
    }
    return null;
  }

  /** `src`: the tar's own bytes when it is read straight from them (a member can be read again). */
  private async walkTar(reader: ByteReader, prefix: string, depth: number, src?: ByteSource): Promise<Detection | null> {
    try {
      for await (const e of readTar(reader, { pastEnd: true })) {
        if (e.type !== 'file') continue;
        const bodyAt = reader.position;
        const again = src ? async () => src.chunks(bodyAt, bodyAt + e.size) : undefined;
        const det = await this.member(prefix + e.name, e.size, depth, async () => e.body, again);
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
      const det = await this.walkInflated(new ByteReader(this.ratioMeter(g.output, g.state.consumed, here)), src, prefix, depth, name);
      if (det || g.state.trailingAt === null) return det;
      return await this.zipAfter(src, g.state.trailingAt, prefix, depth);
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

  /**
   * One member: scanned as it streams, or spooled first when it is itself an archive (or of
   * unknown size). `again` reads the member once more, without checking a declared size: for a
   * zip entry whose data does not match its header, and for a zip found at a member's end.
   */
  private async member(at: string, declared: number | undefined, depth: number, open: () => Promise<AsyncIterable<Buffer>>, again?: () => Promise<AsyncIterable<Buffer>>): Promise<Detection | null> {
    this.check(at);
    if (++this.members > this.limits.maxFiles) throw this.limit('MaxFiles', at, `more than ${this.limits.maxFiles} members`);
    if (declared !== undefined && declared > this.limits.maxFileSize) {
      throw this.limit('MaxFileSize', at, `member of ${declared} bytes exceeds ${this.limits.maxFileSize}`);
    }
    return this.memberData(at, declared, depth, open, again);
  }

  private async memberData(at: string, declared: number | undefined, depth: number, open: () => Promise<AsyncIterable<Buffer>>, again?: () => Promise<AsyncIterable<Buffer>>): Promise<Detection | null> {
    let reader: ByteReader | null = null;
    try {
      reader = new ByteReader(this.meter(await open(), at));
      const format = detectArchiveFormat(await reader.peek(512));
      if (!format && declared !== undefined) {
        const streamed = reader;
        const kept = new TailKeeper(this.limits.spoolInMemory);
        const det = await this.scan({ path: at, size: declared, depth, chunks: () => kept.through(streamed.rest()) });
        if (det) return det;
        return await this.zipAtMemberEnd(at, depth, kept, again);
      }
      const src = await spool(reader.rest(), this.limits.spoolInMemory, this.tmpDir);
      try {
        const det = await this.scan({ path: at, size: src.size, depth, ...(src.buffer ? { buffer: src.buffer } : {}), chunks: () => src.chunks() });
        if (det) return det;
        const end = format ? undefined : await zipAtEnd(src);
        if (!format && !end) return null;
        if (depth + 1 > this.limits.maxDepth) throw this.limit('MaxRecursion', at, `archives nested deeper than ${this.limits.maxDepth} levels`);
        return await this.walk(src, format ?? 'zip', `${at}->`, depth + 1, path.posix.basename(at), end ?? undefined);
      } finally {
        await src.close();
      }
    } catch (e) {
      // Corrupt member data ends this member only; the archive's other members are still scanned.
      if (!(e instanceof ArchiveFormatError) || this.limitHit) throw e;
      this.formatError = null;
      this.note(`${at}: ${e.message}`);
      // A zip entry that is not the size it declares: scanned again as what it is (the scanner
      // picks hashes by size, so a lying header must not decide which are computed).
      if (e instanceof ZipSizeMismatch && again) return await this.memberData(at, undefined, depth, again);
      return null;
    } finally {
      await reader?.close();
    }
  }

  /**
   * A zip at the end of a streamed member (a self-extractor inside an archive) is walked too: from
   * the member kept in memory, or read again (spooled) when it was larger than spoolInMemory.
   */
  private async zipAtMemberEnd(at: string, depth: number, kept: TailKeeper, again?: () => Promise<AsyncIterable<Buffer>>): Promise<Detection | null> {
    const tail = kept.tail();
    const whole = kept.all();
    kept.release();
    if (!tail || !mayEndInZip(tail)) return null;
    let src: ByteSource | null = whole ? new BufferSource(whole) : null;
    try {
      if (!src) {
        if (!again) {
          // A tar member inside a compressed stream: it cannot be read twice. Said, not hidden.
          this.notScanned(at, { reason: 'not_walked' });
          return null;
        }
        src = await spool(this.meter(await again(), at), this.limits.spoolInMemory, this.tmpDir);
      }
      const end = await zipAtEnd(src);
      if (!end) return null;
      if (depth + 1 > this.limits.maxDepth) throw this.limit('MaxRecursion', at, `archives nested deeper than ${this.limits.maxDepth} levels`);
      return await this.walk(src, 'zip', `${at}->`, depth + 1, path.posix.basename(at), end);
    } finally {
      await src?.close();
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
        if (e instanceof ZipSizeMismatch) throw e; // memberData reads it again
        this.note(`${member.path}: ${e.message}`);
        return null;
      }
      verdict = { kind: 'error', code: isWdavError(e) ? e.code : 'WDAV_ERR_INTERNAL', message: errorMessage(e) };
    }
    // The scanner may have swallowed the limit error thrown through chunks(): the limit still wins.
    if (this.limitHit) throw this.limitHit;
    this.check(member.path);
    if (this.formatError) {
      const e = this.formatError;
      this.formatError = null;
      if (e instanceof ZipSizeMismatch && verdict.kind !== 'detected') throw e; // memberData reads it again
      this.note(`${member.path}: ${e.message}`);
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
  let walk: Walk | undefined;
  // The walk's counts, as they stand (also when a limit or a cancellation ends it).
  const counts = (): WalkStats => {
    const w = walk!;
    Object.assign(stats!, { members: w.members, bytes: w.bytes });
    if (w.unscannedCount > 0) Object.assign(stats!, { unscanned: w.unscanned, unscannedCount: w.unscannedCount });
    if (w.exceeded.size > 0) stats!.limitsExceeded = w.exceeded.size;
    return stats!;
  };
  try {
    const limits = resolveArchiveLimits(ctx.limits);
    opened = 'chunks' in source ? { src: source, name: ctx.name ?? '' } : await openSource(source);
    let format = detectArchiveFormat(await opened.src.head(512));
    // A zip behind a prefix (a self-extractor) starts elsewhere: its end record says so.
    const end = format ? undefined : await zipAtEnd(opened.src);
    if (end) format = 'zip';
    if (!format) return { kind: 'not_archive' };
    if (ctx.signal?.aborted) timer.abort(ctx.signal.reason);
    else ctx.signal?.addEventListener('abort', forward, { once: true });
    walk = new Walk(limits, scanMember, timer.signal, ctx.signal, ctx.tmpDir);
    stats = { format, members: 0, bytes: 0, notes: walk.notes };
    const deadline = setTimeout(() => timer.abort(DEADLINE), limits.maxScanTimeMs);
    try {
      const det = await walk.walk(opened.src, format, '', 1, ctx.name ?? opened.name, end ?? undefined);
      if (det) return { kind: 'detected', detection: det, ...counts() };
      if (walk.memberError) return { kind: 'error', ...walk.memberError, ...counts() };
      return { kind: 'clean', ...counts() };
    } catch (e) {
      counts();
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

// src/engine/archives/zip.ts — zip access for the walker over a ByteSource (random access; the
// scanned fd is read positionally and never closed): the directory (zip-directory.ts), the
// overlapping-entries check (Fifield-style bombs) and one stream of an entry's data, copied
// (stored) or inflated (deflate), checked against its declared size.
// An entry whose data does not match its declared size is still handed on in full: the walker
// rescans it with its true size (ZipSizeMismatch), so that a lying header hides nothing.
// Owns: local headers and entry data. Must not: count members or bytes against limits (the walker does).
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import type { ByteSource } from './source.js';
import { ArchiveFormatError } from './limits.js';
import { findZipEnd, readDirectory, type ZipEnd, type ZipEntry } from './zip-directory.js';

export type { ZipEntry as ZipMember } from './zip-directory.js';

/** The entry's data inflated to another size than its header declares (message says which). */
export class ZipSizeMismatch extends ArchiveFormatError {}

/** Largest entry inflated in one synchronous call from memory (= GUNZIP_AT_ONCE in walker.ts). */
const INFLATE_AT_ONCE = 256 * 1024;

export interface OpenZip {
  entryCount: number;
  /** Bytes before the zip that its offsets do not count (a self-extractor's stub). */
  prefix: number;
  /** Bytes after the end record. */
  trailing: number;
  /** The first `max` entries; `failure` when the directory could not be read to its end. */
  members(max: number): Promise<{ members: ZipEntry[]; failure: string | null }>;
  /**
   * The entry's data. `exact` (default): a ZipSizeMismatch when it inflates to another size than
   * declared. `consumed()` counts the compressed bytes read so far (the ratio limit).
   */
  open(member: ZipEntry, exact?: boolean): Promise<{ data: AsyncIterable<Buffer>; consumed(): number }>;
}

/** Opens the zip in `src`, or throws ArchiveFormatError when no end record leads to a directory. */
export async function openZip(src: ByteSource, end?: ZipEnd | null): Promise<OpenZip> {
  const e = end ?? (await findZipEnd(src));
  if (!e) throw new ArchiveFormatError('zip: no end of central directory record leads to a directory');
  return {
    entryCount: e.entryCount,
    prefix: e.prefix,
    trailing: e.trailing,
    async members(max) {
      const { entries, failure } = await readDirectory(src, e, max);
      return { members: entries, failure };
    },
    open: (m, exact = true) => openEntry(src, m, exact),
  };
}

async function openEntry(src: ByteSource, m: ZipEntry, exact: boolean): Promise<{ data: AsyncIterable<Buffer>; consumed(): number }> {
  const h = Buffer.alloc(30);
  if ((await src.readInto(h, 0, 30, m.localHeaderOffset)) < 30 || h.readUInt32LE(0) !== 0x04034b50) {
    throw new ArchiveFormatError(`zip: ${m.name}: no local header at offset ${m.localHeaderOffset}`);
  }
  const start = m.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  const end = start + m.compressedSize;
  if (end > src.size) throw new ArchiveFormatError(`zip: ${m.name}: data runs past the end of the archive`);
  if (m.method === 0) {
    // Stored: the data is what is there; a different declared size is the header's lie.
    if (exact && m.compressedSize !== m.uncompressedSize) throw new ZipSizeMismatch(`zip: ${m.name}: stored entry of ${m.compressedSize} bytes declares ${m.uncompressedSize}`);
    return { data: src.chunks(start, end), consumed: () => end - start };
  }
  if (src.buffer && m.uncompressedSize <= INFLATE_AT_ONCE) {
    const whole = inflateAtOnce(src.buffer.subarray(start, end), m.uncompressedSize);
    if (whole) return { data: once(whole), consumed: () => end - start };
  }
  // Z_SYNC_FLUSH at the end: truncated data gives what it decodes (then a size mismatch).
  const inf = zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const input = Readable.from(src.chunks(start, end));
  input.on('error', (err) => inf.destroy(err));
  input.pipe(inf);
  return { data: checked(inf, input, m, exact), consumed: () => inf.bytesWritten };
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** The exact declared size in one call, or null (larger, shorter, corrupt: the stream decides). */
function inflateAtOnce(compressed: Buffer, size: number): Buffer | null {
  try {
    const out = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, size), finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return out.length === size ? out : null;
  } catch {
    return null;
  }
}

async function* checked(inf: zlib.InflateRaw, input: Readable, m: ZipEntry, exact: boolean): AsyncGenerator<Buffer> {
  let n = 0;
  try {
    // destroyOnReturn false: destroyed below, not with an AbortError when the walk stops early.
    for await (const c of inf.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      n += c.length;
      if (exact && n > m.uncompressedSize) throw new ZipSizeMismatch(`zip: ${m.name}: inflates to more than the ${m.uncompressedSize} bytes declared`);
      yield c;
    }
  } catch (e) {
    if (e instanceof ArchiveFormatError || !(e as { code?: string }).code?.startsWith('Z_')) throw e;
    throw new ArchiveFormatError(`zip: ${m.name}: ${(e as Error).message}`);
  } finally {
    input.unpipe(inf);
    input.destroy();
    inf.destroy();
  }
  if (exact && n !== m.uncompressedSize) throw new ZipSizeMismatch(`zip: ${m.name}: inflates to ${n} of the ${m.uncompressedSize} bytes declared`);
}

/** Lower bound of the bytes an entry occupies from its local header on. */
function span(m: ZipEntry): number {
  return 30 + m.nameLength + m.compressedSize;
}

/**
 * Entries whose local header ranges overlap: the building block of "overlapping files" bombs
 * (many entries inflating the same compressed kernel). Returns the entries involved in an
 * overlap (the walker stops when it reaches the first of them, after scanning the ones before).
 * The range is a lower bound (local extra fields are not read), so honest archives never overlap.
 */
export function overlapping(members: ZipEntry[]): Set<ZipEntry> {
  const sorted = members.filter((m) => m.compressedSize > 0 || m.uncompressedSize > 0).sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const out = new Set<ZipEntry>();
  let reach = -1;
  let reacher: ZipEntry | null = null;
  for (const cur of sorted) {
    if (reacher && cur.localHeaderOffset < reach) {
      out.add(reacher);
      out.add(cur);
    }
    if (cur.localHeaderOffset + span(cur) > reach) {
      reach = cur.localHeaderOffset + span(cur);
      reacher = cur;
    }
  }
  return out;
}

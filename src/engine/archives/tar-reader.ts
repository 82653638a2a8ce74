// src/engine/archives/tar-reader.ts — a streaming tar reader (v7, ustar, GNU long names, pax
// path/size) over a ByteReader: one entry at a time, bodies handed on as chunks, never buffered.
// Shared by the archive walker and the CVD reader (src/definitions/cvd.ts).
// Owns: tar header parsing and the body/padding bookkeeping. Must not: apply scan limits.
import { ByteReader } from './byte-reader.js';
import { ArchiveFormatError } from './limits.js';

const BLOCK = 512;
/** GNU long names and pax headers are metadata: bounded so a forged size cannot exhaust memory. */
const MAX_META = 1024 * 1024;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  name: string;
  size: number;
  type: TarEntryType;
  /** The raw type flag ('0', '5', ...), for callers that are stricter than the walker (CVD). */
  typeflag: string;
  /** The entry's bytes; read it (or not) before asking for the next entry. */
  body: AsyncIterable<Buffer>;
}

function cstring(buf: Buffer, start: number, len: number): string {
  const field = buf.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

function parseNumber(buf: Buffer, start: number, len: number, what: string): number {
  const v = numberOrInvalid(buf, start, len);
  if (v >= 0) return v;
  // Only the error needs the text: base-256 and all-octal fields fail for their size alone.
  const text = buf.subarray(start, start + len).toString('latin1').replace(/[\0 ]+$/u, '').replace(/^[ ]+/u, '');
  if (buf[start]! & 0x80 || /^[0-7]+$/u.test(text)) throw new ArchiveFormatError(`tar: ${what} field is too large`);
  throw new ArchiveFormatError(`tar: invalid ${what} field '${text.slice(0, 16)}'`);
}

/** True when the block carries a valid tar header checksum (how v7 tars without magic are told apart). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  if (block.subarray(257, 262).toString('latin1') === 'ustar') return checksumOk(block);
  return block[0] !== 0 && checksumOk(block);
}

/** A tar number field (octal, or GNU base-256: big-endian, top bit of the first byte the
 * marker), or -1 when invalid or too large. No exception: every member of every archive is
 * sniffed with this (checksumOk), and most are not tar. */
function numberOrInvalid(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    let v = buf[start]! & 0x7f;
    for (let i = start + 1; i < start + len; i++) {
      v = v * 256 + buf[i]!;
      if (v > Number.MAX_SAFE_INTEGER) return -1;
    }
    return v;
  }
  let e = start + len;
  while (e > start && (buf[e - 1] === 0 || buf[e - 1] === 0x20)) e--;
  let s = start;
  while (s < e && buf[s] === 0x20) s++;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 7) return -1;
    v = v * 8 + d;
  }
  return Number.isSafeInteger(v) ? v : -1;
}

function checksumOk(block: Buffer): boolean {
  const stored = numberOrInvalid(block, 148, 8);
  if (stored < 0) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** pax records: "<len> <key>=<value>\n". Only path and size matter to a scanner. */
function parsePax(data: Buffer): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp === -1) break;
    const len = Number(data.subarray(off, sp).toString('latin1'));
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length) {
      throw new ArchiveFormatError('tar: malformed pax header');
    }
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) {
      const key = rec.slice(0, eq);
      const value = rec.slice(eq + 1);
      if (key === 'path') out.path = value;
      else if (key === 'size') {
        if (!/^\d+$/u.test(value) || !Number.isSafeInteger(Number(value))) throw new ArchiveFormatError('tar: malformed pax size');
        out.size = Number(value);
      }
    }
    off += len;
  }
  return out;
}

async function readMeta(reader: ByteReader, size: number, kind: string): Promise<Buffer> {
  if (size > MAX_META) throw new ArchiveFormatError(`tar: ${kind} header of ${size} bytes exceeds ${MAX_META}`);
  const data = await reader.read(size);
  if (data.length !== size) throw new ArchiveFormatError(`tar: truncated ${kind} header`);
  await reader.skip(padding(size));
  return data;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Data after a tar's end-of-archive blocks that is no tar header, from offset `at` of the stream. */
export class TarTrailingData extends ArchiveFormatError {
  constructor(readonly at: number) {
    super(`tar: data after the end-of-archive blocks at offset ${at} is not a tar header`);
  }
}

/** Bytes looked at per step while skipping zero blocks (a multiple of BLOCK). */
const ZERO_STEP = 128 * BLOCK;

/**
 * Skips the zero blocks after an end-of-archive block; returns the next non-zero block, or null
 * when only zeros (or nothing) follow. A short non-zero tail is data, not a header.
 */
async function afterZeros(reader: ByteReader): Promise<Buffer | null> {
  for (;;) {
    const look = await reader.peek(ZERO_STEP);
    if (look.length === 0) return null;
    let i = 0;
    while (i < look.length && look[i] === 0) i++;
    if (i === look.length) {
      await reader.skip(look.length);
      continue;
    }
    await reader.skip(i - (i % BLOCK));
    const block = await reader.read(BLOCK);
    if (block.length < BLOCK) throw new TarTrailingData(reader.position - block.length);
    return block;
  }
}

export interface ReadTarOptions {
  /**
   * Read on after the end-of-archive blocks when more tar headers follow, as `tar
   * --ignore-zeros` does (concatenated tarballs, `cat a.tar b.tar`); data after them that is no
   * tar header is a TarTrailingData error. Off: the first zero block ends the archive (CVD files).
   */
  pastEnd?: boolean;
}

/**
 * Entries of the tar stream in order. Unread body bytes are skipped when the next entry is asked
 * for. Throws ArchiveFormatError on a bad header or a truncated body.
 */
export async function* readTar(reader: ByteReader, opts: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  let longName: string | undefined;
  let pax: { path?: string; size?: number } = {};
  for (;;) {
    let header = await reader.read(BLOCK);
    if (header.length === 0) return; // no end-of-archive blocks: tolerated, as GNU tar does
    if (header.length < BLOCK) throw new ArchiveFormatError('tar: truncated header block');
    if (header.every((b) => b === 0)) {
      if (!opts.pastEnd) return;
      const next = await afterZeros(reader);
      if (!next) return;
      if (!checksumOk(next)) throw new TarTrailingData(reader.position - BLOCK);
      header = next;
    }
    if (!checksumOk(header)) throw new ArchiveFormatError(`tar: bad header checksum at offset ${reader.position - BLOCK}`);
    const typeflag = String.fromCharCode(header[156]!);
    let size = parseNumber(header, 124, 12, 'size');
    if (typeflag === 'L') {
      longName = cstring(await readMeta(reader, size, 'GNU long name'), 0, size);
      continue;
    }
    if (typeflag === 'x') {
      pax = parsePax(await readMeta(reader, size, 'pax'));
      continue;
    }
    if (typeflag === 'K' || typeflag === 'g') {
      await readMeta(reader, size, typeflag === 'K' ? 'GNU long link' : 'pax global');
      continue;
    }
    let name = cstring(header, 0, 100);
    const isUstar = header.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = isUstar ? cstring(header, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;
    if (longName !== undefined) name = longName;
    if (pax.path !== undefined) name = pax.path;
    if (pax.size !== undefined) size = pax.size;
    longName = undefined;
    pax = {};
    const type = typeOf(typeflag);
    // Links, directories and devices carry no data even when a size is written.
    const bodySize = type === 'file' || type === 'other' ? size : 0;
    let consumed = 0;
    const body = (async function* () {
      for await (const c of reader.take(bodySize - consumed)) {
        consumed += c.length;
        yield c;
      }
      if (consumed < bodySize) throw new ArchiveFormatError(`tar: member '${name}' is truncated`);
    })();
    yield { name, size: bodySize, type, typeflag, body };
    if (consumed < bodySize) {
      const skipped = await reader.skip(bodySize - consumed);
      if (skipped < bodySize - consumed) throw new ArchiveFormatError(`tar: member '${name}' is truncated`);
    }
    await reader.skip(padding(bodySize));
  }
}

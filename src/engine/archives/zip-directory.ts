// src/engine/archives/zip-directory.ts — finds a zip's central directory the way unzip does and
// reads its entries: the end-of-central-directory record is searched from the end (bytes after
// it and an archive comment are allowed), zip64 records are followed, and a prefix (a
// self-extractor's stub, an ELF or PE with a zip appended) is worked out from where the
// directory actually is against where it says it is, and applied to every offset. One odd entry
// never hides the others: an entry that cannot be used is returned with the reason; only an
// unreadable directory record ends the listing (the rest is then reported as unreadable).
// Owns: EOCD/zip64 records, central directory parsing, method names.
// Must not: decompress, count members against limits, or read a whole archive into memory.
import type { ByteSource } from './source.js';
import type { UnscannedMember } from './types.js';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
/** The end record, the largest comment and a zip64 locator before it: where the end is searched. */
export const ZIP_END_WINDOW = 22 + 0xffff + 20;

export interface ZipEnd {
  /** Entries the directory declares. */
  entryCount: number;
  /** Where the central directory starts in the source (prefix applied). */
  cdStart: number;
  /** Bytes before the zip that its offsets do not count (0 for most zips). */
  prefix: number;
  /** Bytes after the end record and its comment. */
  trailing: number;
}

export interface ZipEntry {
  /** Raw name bytes decoded (UTF-8 when flagged, else Latin-1: names are only displayed). */
  name: string;
  nameLength: number;
  flags: number;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Local header offset in the source (prefix applied). */
  localHeaderOffset: number;
  directory: boolean;
  /** Why the entry's data cannot be scanned, or null. */
  unscannable: Omit<UnscannedMember, 'member'> | null;
}

/** Names of the zip methods other than stored (0) and deflate (8) (APPNOTE 4.4.5). */
const METHODS: Record<number, string> = {
  1: 'shrink',
  2: 'reduce',
  3: 'reduce',
  4: 'reduce',
  5: 'reduce',
  6: 'implode',
  9: 'deflate64',
  10: 'pkware implode',
  12: 'bzip2',
  14: 'lzma',
  16: 'cmpsc',
  18: 'terse',
  19: 'lz77',
  20: 'zstd',
  93: 'zstd',
  94: 'mp3',
  95: 'xz',
  96: 'jpeg',
  97: 'wavpack',
  98: 'ppmd',
};

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

async function readAt(src: ByteSource, at: number, n: number): Promise<Buffer | null> {
  if (at < 0 || at + n > src.size) return null;
  const b = Buffer.alloc(n);
  return (await src.readInto(b, 0, n, at)) === n ? b : null;
}

async function signatureAt(src: ByteSource, at: number, sig: number): Promise<boolean> {
  const b = await readAt(src, at, 4);
  return b !== null && b.readUInt32LE(0) === sig;
}

/**
 * Where the directory described by an end record is: at its declared offset plus the prefix the
 * record's position implies (unzip's "extra bytes at beginning"), else at the declared offset.
 */
async function directoryStart(src: ByteSource, end: number, cdSize: number, cdOffset: number, count: number): Promise<number | null> {
  const prefix = end - cdSize - cdOffset;
  if (count === 0) return cdSize === 0 ? Math.max(0, prefix) + cdOffset : null;
  if (prefix > 0 && (await signatureAt(src, cdOffset + prefix, CENTRAL))) return cdOffset + prefix;
  if (await signatureAt(src, cdOffset, CENTRAL)) return cdOffset;
  return null;
}

/** The zip64 end record for the locator before `eocd`: its position and fields, or null. */
async function zip64End(src: ByteSource, eocd: number): Promise<{ at: number; count: number; cdSize: number; cdOffset: number } | null> {
  const loc = await readAt(src, eocd - 20, 20);
  if (!loc || loc.readUInt32LE(0) !== ZIP64_LOCATOR) return null;
  const declared = u64(loc, 8);
  // Right before the locator when the zip has a prefix its records do not count.
  for (const at of [declared, eocd - 20 - 56]) {
    const r = await readAt(src, at, 56);
    if (r && r.readUInt32LE(0) === ZIP64_EOCD) return { at, count: u64(r, 32), cdSize: u64(r, 40), cdOffset: u64(r, 48) };
  }
  return null;
}

/**
 * The zip whose end record is nearest the end of `src` and whose directory can be found, or null.
 * `tail` may hold the source's last bytes already (up to ZIP_END_WINDOW).
 */
export async function findZipEnd(src: ByteSource, tail?: Buffer): Promise<ZipEnd | null> {
  const window = Math.min(ZIP_END_WINDOW, src.size);
  if (window < 22) return null;
  const t = tail && tail.length >= window ? tail.subarray(tail.length - window) : await readAt(src, src.size - window, window);
  if (!t) return null;
  const base = src.size - window;
  for (let i = t.lastIndexOf('PK\x05\x06', t.length - 22, 'latin1'); i >= 0; i = i > 0 ? t.lastIndexOf('PK\x05\x06', i - 1, 'latin1') : -1) {
    if (t.readUInt32LE(i) !== EOCD || t.readUInt16LE(i + 4) !== 0) continue; // multi-disk: not ours
    const trailing = t.length - (i + 22 + t.readUInt16LE(i + 20));
    if (trailing < 0) continue; // its comment would run past the end: a signature inside data
    const eocd = base + i;
    let count = t.readUInt16LE(i + 10);
    let cdSize = t.readUInt32LE(i + 12);
    let cdOffset = t.readUInt32LE(i + 16);
    let end = eocd;
    const z64 = await zip64End(src, eocd);
    if (z64) {
      if (z64.count < 0 || z64.cdSize < 0 || z64.cdOffset < 0) continue;
      ({ count, cdSize, cdOffset } = z64);
      end = z64.at;
    }
    const cdStart = await directoryStart(src, end, cdSize, cdOffset, count);
    if (cdStart === null) continue;
    return { entryCount: count, cdStart, prefix: cdStart - cdOffset, trailing };
  }
  return null;
}

/** True when some end-record signature in `tail` (a source's last bytes) has room for its comment. */
export function mayEndInZip(tail: Buffer): boolean {
  if (tail.length < 22) return false; // (a negative offset would count from the end)
  for (let i = tail.lastIndexOf('PK\x05\x06', tail.length - 22, 'latin1'); i >= 0; i = i > 0 ? tail.lastIndexOf('PK\x05\x06', i - 1, 'latin1') : -1) {
    if (i + 22 + tail.readUInt16LE(i + 20) <= tail.length && tail.readUInt16LE(i + 10) > 0) return true;
  }
  return false;
}

function unscannable(flags: number, method: number, usable: boolean): ZipEntry['unscannable'] {
  if (!usable) return { reason: 'malformed_entry' };
  if (flags & 0x40) return { reason: 'encrypted', method: 'strong encryption' };
  if (method === 99) return { reason: 'encrypted', method: 'aes' };
  if (flags & 0x1) return { reason: 'encrypted' };
  if (method === 0 || method === 8) return null;
  return { reason: 'unsupported_method', method: METHODS[method] ?? `method ${method}` };
}

/**
 * Up to `max` entries of the directory at end.cdStart, in order. `failure` says why the listing
 * stopped before `end.entryCount` entries (an unreadable record: what follows it cannot be found).
 */
export async function readDirectory(src: ByteSource, end: ZipEnd, max: number): Promise<{ entries: ZipEntry[]; failure: string | null }> {
  const entries: ZipEntry[] = [];
  let at = end.cdStart;
  const want = Math.min(max, end.entryCount);
  // Read in blocks, not a read per record: directories of thousands of entries are common.
  let block = Buffer.alloc(0);
  let blockAt = at;
  const need = async (n: number): Promise<Buffer | null> => {
    if (at + n <= blockAt + block.length) return block.subarray(at - blockAt, at - blockAt + n);
    const len = Math.min(Math.max(n, 64 * 1024), src.size - at);
    if (len < n) return null;
    block = Buffer.alloc(len);
    blockAt = at;
    return (await src.readInto(block, 0, len, at)) >= n ? block.subarray(0, n) : null;
  };
  while (entries.length < want) {
    const c = await need(46);
    if (!c || c.readUInt32LE(0) !== CENTRAL) return { entries, failure: `directory record ${entries.length + 1} of ${end.entryCount} is unreadable` };
    const flags = c.readUInt16LE(8);
    const method = c.readUInt16LE(10);
    let csize = c.readUInt32LE(20);
    let usize = c.readUInt32LE(24);
    const nameLength = c.readUInt16LE(28);
    const extraLength = c.readUInt16LE(30);
    const commentLength = c.readUInt16LE(32);
    let offset = c.readUInt32LE(42);
    const rest = await need(46 + nameLength + extraLength + commentLength);
    if (!rest) return { entries, failure: `directory record ${entries.length + 1} of ${end.entryCount} is truncated` };
    const nameRaw = rest.subarray(46, 46 + nameLength);
    const extra = rest.subarray(46 + nameLength, 46 + nameLength + extraLength);
    at += 46 + nameLength + extraLength + commentLength;
    // Zip64 sizes and offset, in this order, for the fields that say 0xffffffff (APPNOTE 4.5.3).
    let usable = true;
    if (csize === 0xffffffff || usize === 0xffffffff || offset === 0xffffffff) {
      let z: Buffer | null = null;
      for (let i = 0; i + 4 <= extra.length; i += 4 + extra.readUInt16LE(i + 2)) {
        if (extra.readUInt16LE(i) === 0x0001) z = extra.subarray(i + 4, Math.min(extra.length, i + 4 + extra.readUInt16LE(i + 2)));
      }
      let k = 0;
      const next = (): number => (z && k + 8 <= z.length ? u64(z, (k += 8) - 8) : -1);
      if (usize === 0xffffffff) usize = next();
      if (csize === 0xffffffff) csize = next();
      if (offset === 0xffffffff) offset = next();
      usable = usize >= 0 && csize >= 0 && offset >= 0;
    }
    const name = nameRaw.toString(flags & 0x800 ? 'utf8' : 'latin1');
    entries.push({
      name,
      nameLength,
      flags,
      method,
      compressedSize: Math.max(0, csize),
      uncompressedSize: Math.max(0, usize),
      localHeaderOffset: Math.max(0, offset) + end.prefix,
      directory: name.endsWith('/') && usize === 0,
      unscannable: unscannable(flags, method, usable),
    });
  }
  return { entries, failure: null };
}

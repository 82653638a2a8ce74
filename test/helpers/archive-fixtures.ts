// test/helpers/archive-fixtures.ts — builds zip, tar and gzip fixtures in memory at test time
// (nothing binary is committed), including hostile ones: overlapping zip entries, lying sizes.
// Also builds the EICAR test string from parts so it never appears literally in the repository.
import zlib from 'node:zlib';

export function eicar(): Buffer {
  const parts = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS', '-TEST-FILE!$H+H*'];
  return Buffer.from(parts.join(''), 'latin1');
}

export interface ZipEntrySpec {
  name: string;
  data: Buffer;
  /**
   * 0 stored, 8 deflated (default). Any other method number (12 bzip2, 14 LZMA, 9 deflate64, ...)
   * writes `data` as the entry's compressed bytes unchanged, with `size` as its declared size.
   */
  method?: number;
  /** General purpose flags added to 0x800 (UTF-8 names): 0x1 encrypted, 0x40 strong encryption. */
  flags?: number;
  /** Declared uncompressed size for methods this helper does not compress (default data.length). */
  size?: number;
}

export interface ZipOptions {
  /** Bytes before the zip (a self-extractor's stub). */
  prefix?: Buffer;
  /** Offsets counted from the start of the file, prefix included (`zip -A`); default from the zip's start. */
  absoluteOffsets?: boolean;
  /** The archive comment. */
  comment?: Buffer;
  /** Bytes after the end-of-central-directory record (and its comment). */
  suffix?: Buffer;
}

function dosTime(): { time: number; date: number } {
  return { time: 0, date: (44 << 9) | (1 << 5) | 1 }; // 2024-01-01
}

interface Built {
  name: Buffer;
  method: number;
  flags?: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
}

function localHeader(e: Built, data: Buffer): Buffer {
  const h = Buffer.alloc(30);
  const { time, date } = dosTime();
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x800 | (e.flags ?? 0), 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  h.writeUInt32LE(e.crc, 14);
  h.writeUInt32LE(e.csize, 18);
  h.writeUInt32LE(e.usize, 22);
  h.writeUInt16LE(e.name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, e.name, data]);
}

function centralHeader(e: Built): Buffer {
  const h = Buffer.alloc(46);
  const { time, date } = dosTime();
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(0x800 | (e.flags ?? 0), 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(time, 12);
  h.writeUInt16LE(date, 14);
  h.writeUInt32LE(e.crc, 16);
  h.writeUInt32LE(e.csize, 20);
  h.writeUInt32LE(e.usize, 24);
  h.writeUInt16LE(e.name.length, 28);
  h.writeUInt32LE(e.offset, 42);
  return Buffer.concat([h, e.name]);
}

function endRecord(count: number, cdSize: number, cdOffset: number, comment: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(22);
  h.writeUInt32LE(0x06054b50, 0);
  h.writeUInt16LE(count & 0xffff, 8);
  h.writeUInt16LE(count & 0xffff, 10);
  h.writeUInt32LE(cdSize, 12);
  h.writeUInt32LE(cdOffset, 16);
  h.writeUInt16LE(comment.length, 20);
  return Buffer.concat([h, comment]);
}

export function makeZip(entries: ZipEntrySpec[], opts: ZipOptions = {}): Buffer {
  const prefix = opts.prefix ?? Buffer.alloc(0);
  const locals: Buffer[] = [];
  const built: Built[] = [];
  let offset = opts.absoluteOffsets ? prefix.length : 0;
  for (const spec of entries) {
    const method = spec.method ?? 8;
    const stored = method === 8 ? zlib.deflateRawSync(spec.data) : spec.data;
    const usize = method === 0 || method === 8 ? spec.data.length : (spec.size ?? spec.data.length);
    const e: Built = { name: Buffer.from(spec.name, 'utf8'), method, flags: spec.flags ?? 0, crc: zlib.crc32(spec.data), csize: stored.length, usize, offset };
    const local = localHeader(e, stored);
    locals.push(local);
    built.push(e);
    offset += local.length;
  }
  const central = Buffer.concat(built.map(centralHeader));
  return Buffer.concat([prefix, ...locals, central, endRecord(built.length, central.length, offset, opts.comment), opts.suffix ?? Buffer.alloc(0)]);
}

/** One stored kernel referenced by `count` central directory entries: every entry overlaps the first. */
export function makeOverlappingZip(kernel: Buffer, count: number): Buffer {
  const e: Built = { name: Buffer.from('k0'), method: 0, crc: zlib.crc32(kernel), csize: kernel.length, usize: kernel.length, offset: 0 };
  const local = localHeader(e, kernel);
  const central = Buffer.concat(Array.from({ length: count }, (_, i) => centralHeader({ ...e, name: Buffer.from(`k${i}`) })));
  return Buffer.concat([local, central, endRecord(count, central.length, local.length)]);
}

export interface TarEntrySpec {
  name: string;
  data?: Buffer;
  /** '0' file (default), '5' directory, '2' symlink. */
  type?: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(name: string, size: number, type = '0', ustar = true): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(1704067200, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  if (ustar) {
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
  }
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  return h;
}

export function makeTar(entries: TarEntrySpec[], opts: { ustar?: boolean; end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(tarHeader(e.name, data.length, e.type ?? '0', opts.ustar ?? true), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (opts.end ?? true) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function gzip(data: Buffer, name?: string): Buffer {
  const gz = zlib.gzipSync(data);
  if (!name) return gz;
  // Rebuild the header with FNAME set (zlib's gzip writer does not take a name).
  const header = Buffer.from(gz.subarray(0, 10));
  header[3] = header[3]! | 0x08;
  return Buffer.concat([header, Buffer.from(name + '\0', 'latin1'), gz.subarray(10)]);
}

/** A zip nested `levels` deep around `inner` (named innerName at the bottom). */
export function nestZips(inner: Buffer, innerName: string, levels: number): Buffer {
  let data = makeZip([{ name: innerName, data: inner }]);
  for (let i = 1; i < levels; i++) data = makeZip([{ name: `level${levels - i}.zip`, data }]);
  return data;
}

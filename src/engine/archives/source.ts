// src/engine/archives/source.ts — random-access byte sources for the walker: the scanned file's fd
// (never closed here), a Buffer, or a spooled nested archive (memory when small, else an unlinked
// temp file that disappears with its fd). Positional reads only, so the caller's fd offset is untouched.
// Owns: reading ranges and spooling. Must not: parse formats or enforce scan limits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { ScanSource } from '../types.js';
import { ArchiveFormatError } from './limits.js';

const read = promisify(fs.read);
const write = promisify(fs.write);
const close = promisify(fs.close);

const CHUNK = 64 * 1024;

export interface ByteSource {
  readonly size: number;
  /** The whole content when it is held in memory (lets callers skip a copy). */
  readonly buffer?: Buffer;
  /** The fd to read from when the content is on disk. */
  readonly fd?: number;
  /** Bytes [start, end) in chunks. */
  chunks(start?: number, end?: number): AsyncGenerator<Buffer>;
  /** Up to n bytes from the start. */
  head(n: number): Promise<Buffer>;
  /** Like fs.read: copies up to length bytes at position into target; resolves to the count. */
  readInto(target: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Releases what the source owns (a spooled temp file); a borrowed fd stays open. */
  close(): Promise<void>;
}

export class BufferSource implements ByteSource {
  constructor(readonly buffer: Buffer) {}
  get size(): number {
    return this.buffer.length;
  }
  async *chunks(start = 0, end = this.buffer.length): AsyncGenerator<Buffer> {
    for (let off = start; off < end; off += CHUNK) yield this.buffer.subarray(off, Math.min(end, off + CHUNK));
  }
  async head(n: number): Promise<Buffer> {
    return this.buffer.subarray(0, n);
  }
  async readInto(target: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (position >= this.buffer.length) return 0;
    return this.buffer.copy(target, offset, position, Math.min(this.buffer.length, position + length));
  }
  async close(): Promise<void> {}
}

export class FdSource implements ByteSource {
  private closed = false;
  constructor(
    readonly fd: number,
    readonly size: number,
    private readonly owned: boolean,
  ) {}

  async *chunks(start = 0, end = this.size): AsyncGenerator<Buffer> {
    let pos = start;
    while (pos < end) {
      // A fresh buffer per chunk: the consumer may keep a chunk after asking for the next.
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, end - pos));
      const { bytesRead } = await read(this.fd, buf, 0, buf.length, pos);
      if (bytesRead === 0) return; // the file shrank under us: the caller sees a short stream
      pos += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  }

  async head(n: number): Promise<Buffer> {
    const buf = Buffer.alloc(Math.min(n, this.size));
    const { bytesRead } = await read(this.fd, buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  }

  async readInto(target: Buffer, offset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await read(this.fd, target, offset, length, position);
    return bytesRead;
  }

  async close(): Promise<void> {
    if (this.owned && !this.closed) {
      this.closed = true;
      await close(this.fd);
    }
  }
}

/**
 * Copies a stream into a source the walker can read at random: in memory up to memLimit bytes,
 * beyond that into a temp file under tmpDir that is unlinked at once (nothing is left behind even
 * if the process dies). The stream's own limits (member size) bound the copy.
 */
export async function spool(chunks: AsyncIterable<Buffer>, memLimit: number, tmpDir = os.tmpdir()): Promise<ByteSource> {
  const held: Buffer[] = [];
  let heldLen = 0;
  let fd = -1;
  let size = 0;
  try {
    for await (const c of chunks) {
      if (fd === -1 && heldLen + c.length <= memLimit) {
        held.push(c);
        heldLen += c.length;
        size += c.length;
        continue;
      }
      if (fd === -1) {
        const file = path.join(tmpDir, `wdav-spool-${process.pid}-${crypto.randomBytes(8).toString('hex')}`);
        fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
        fs.unlinkSync(file);
        let off = 0;
        for (const h of held) {
          await writeAll(fd, h, off);
          off += h.length;
        }
        held.length = 0;
      }
      await writeAll(fd, c, size);
      size += c.length;
    }
  } catch (e) {
    if (fd !== -1) await close(fd).catch(() => undefined);
    throw e;
  }
  if (fd === -1) return new BufferSource(held.length === 1 ? held[0]! : Buffer.concat(held, heldLen));
  return new FdSource(fd, size, true);
}

async function writeAll(fd: number, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await write(fd, buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
}

/** The scanned file as a source: a caller's fd is borrowed (never closed), a path is opened here. */
export async function openSource(source: ScanSource): Promise<{ src: ByteSource; name: string }> {
  if ('fd' in source) {
    return { src: new FdSource(source.fd, fs.fstatSync(source.fd).size, false), name: source.path ? path.basename(source.path) : '' };
  }
  const p = typeof source.path === 'string' ? source.path : source.path.toString('latin1');
  const base = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = fs.openSync(source.path, base | fs.constants.O_NOATIME);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    fd = fs.openSync(source.path, base); // O_NOATIME needs ownership or CAP_FOWNER
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new ArchiveFormatError(`${p} is not a regular file`);
  }
  return { src: new FdSource(fd, st.size, true), name: path.basename(p) };
}

// src/threats/safe-fs.ts — the file-system primitives quarantine and restore need to be
// crash-safe and race-safe: directories opened component by component without following
// symbolic links, names resolved relative to an open directory (through /proc/self/fd, the
// openat() Node lacks), directory fsync, and the identity of a file (dev, ino, size, mtime).
// Paths may be Buffers: file names on Linux are bytes, not always UTF-8.
// Owns these primitives. Must not: know about threats or the database.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';

export type FsPath = string | Buffer;

const SLASH = 0x2f;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

export function toBuffer(p: FsPath): Buffer {
  return typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

/** Splits a path into its directory and last component (bytes kept exactly). */
export function splitPath(p: FsPath): { dir: Buffer; base: Buffer } {
  const b = toBuffer(p);
  let end = b.length;
  while (end > 1 && b[end - 1] === SLASH) end--;
  const i = b.lastIndexOf(SLASH, end - 1);
  if (i < 0) return { dir: Buffer.from('.'), base: b.subarray(0, end) };
  return { dir: i === 0 ? Buffer.from('/') : b.subarray(0, i), base: b.subarray(i + 1, end) };
}

/** A name inside an open directory, resolved by the kernel through that directory itself. */
export function inDir(dir: FileHandle, name: FsPath): Buffer {
  const n = toBuffer(name);
  if (n.length === 0 || n.includes(SLASH) || n.equals(Buffer.from('.')) || n.equals(Buffer.from('..'))) {
    throw new WdavError('WDAV_ERR_INVALID_PATH', `not a plain file name: ${JSON.stringify(n.toString('utf8'))}`);
  }
  return Buffer.concat([Buffer.from(`/proc/self/fd/${dir.fd}/`), n]);
}

/**
 * Opens an absolute directory path refusing a symbolic link at any component: each component
 * is opened relative to its already-open parent with O_NOFOLLOW | O_DIRECTORY, so a
 * component swapped for a link while we walk is refused too. Throws
 * WDAV_ERR_RESTORE_DESTINATION_UNSAFE (link, not a directory) or WDAV_ERR_INVALID_PATH.
 */
export async function openDirNoFollow(dir: string): Promise<FileHandle> {
  if (!path.isAbsolute(dir)) throw new WdavError('WDAV_ERR_INVALID_PATH', `the destination must be an absolute path: ${dir}`);
  const parts = path.normalize(dir).split('/').filter(Boolean);
  let cur = await fsp.open('/', O_RDONLY | O_DIRECTORY);
  let walked = '';
  try {
    for (const part of parts) {
      walked += `/${part}`;
      let next: FileHandle;
      try {
        next = await fsp.open(inDir(cur, part), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR') {
          // Linux answers ENOTDIR for a link opened with O_DIRECTORY | O_NOFOLLOW: say which it is.
          const link = (await lstatOrNull(inDir(cur, part)))?.isSymbolicLink() ?? false;
          throw new WdavError('WDAV_ERR_RESTORE_DESTINATION_UNSAFE', `refusing ${dir}: ${walked} is ${link ? 'a symbolic link' : 'not a directory'}`);
        }
        if (code === 'ENOENT') throw new WdavError('WDAV_ERR_INVALID_PATH', `destination directory does not exist: ${walked}`);
        if (code === 'EACCES') throw new WdavError('WDAV_ERR_INVALID_PATH', `cannot open destination directory ${walked}: permission denied`);
        throw e;
      }
      await cur.close();
      cur = next;
    }
    return cur;
  } catch (e) {
    await cur.close().catch(() => undefined);
    throw e;
  }
}

/** Opens the directory that contains `file` (following links there, as the path does). */
export async function openParent(file: FsPath): Promise<{ dir: FileHandle; base: Buffer }> {
  const { dir, base } = splitPath(file);
  return { dir: await fsp.open(dir, O_RDONLY | O_DIRECTORY), base };
}

export async function fsyncDir(dir: FsPath | FileHandle): Promise<void> {
  if (typeof dir !== 'string' && !Buffer.isBuffer(dir)) return dir.sync();
  const h = await fsp.open(dir, O_RDONLY | O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export interface Identity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

export function identityOf(st: fs.BigIntStats): Identity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** lstat that answers null for a name that does not exist. */
export async function lstatOrNull(p: FsPath): Promise<fs.BigIntStats | null> {
  try {
    return await fsp.lstat(p, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Reads a whole fd range in chunks (pread: the fd's own offset is left alone). */
export async function* readChunks(fd: number, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  let pos = 0;
  const buf = Buffer.allocUnsafe(chunkSize);
  for (;;) {
    const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, chunkSize, pos, (e, bytes) => (e ? reject(e) : resolve(bytes))));
    if (n === 0) return;
    pos += n;
    yield Buffer.from(buf.subarray(0, n));
  }
}

/** Writes all of `data` at the handle's current position. */
export async function writeAll(h: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await h.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

/** sha256 of everything readable through `fd` (pread from offset 0). */
export async function sha256OfFd(fd: number): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of readChunks(fd)) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest('hex'), size };
}

/** sha256 of a regular file, opened without following a final symbolic link. */
export async function sha256OfPath(p: FsPath): Promise<string> {
  const fh = await fsp.open(p, O_RDONLY | O_NOFOLLOW);
  try {
    return (await sha256OfFd(fh.fd)).sha256;
  } finally {
    await fh.close();
  }
}

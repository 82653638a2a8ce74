// src/threats/safe-fs.ts — the file-system primitives quarantine and restore need to be
// crash-safe and race-safe: directories opened component by component (restore destinations
// without following symbolic links), names resolved relative to an open directory (through
// /proc/self/fd, the openat() Node lacks), directory fsync, and the identity of a file (dev,
// ino, size, mtime). Paths may be Buffers: file names on Linux are bytes, not always UTF-8.
// Every operation on a path given by a user or a scanner goes through an open directory, so a
// path of any length the kernel accepts works (each component ≤ 255 bytes; the whole may be far
// beyond PATH_MAX, reachable only by relative operations): the kernel never sees more than
// `/proc/self/fd/N/<one component>`.
// Owns these primitives. Must not: know about threats or the database.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';

export type FsPath = string | Buffer;

const SLASH = 0x2f;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
// Linux's O_PATH (the same value on every architecture Node runs on there); Node does not
// export it. A directory opened O_PATH needs only search permission, as in a path lookup.
const O_PATH = 0o10000000;

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

/** A component of a path that could not be opened as a directory: which one, and the errno code. */
export class PathWalkError extends Error {
  constructor(
    readonly code: string,
    /** The path up to and including the component that failed. */
    readonly walked: Buffer,
    options?: { cause?: unknown },
  ) {
    super(`${code}: cannot open directory ${walked.toString('utf8')}`, options);
  }

  /** Nothing is at the path (a component is missing, not a directory, or a link loop). */
  get missing(): boolean {
    return this.code === 'ENOENT' || this.code === 'ENOTDIR' || this.code === 'ELOOP';
  }
}

function components(p: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i < p.length && p[i] !== SLASH) continue;
    const c = p.subarray(start, i);
    if (c.length > 0 && !(c.length === 1 && c[0] === 0x2e)) out.push(c);
    start = i + 1;
  }
  return out;
}

/**
 * Opens the absolute directory `dir` from `/`, each component relative to its already-open
 * parent (so its length does not matter). With `follow: false` every component is opened
 * O_NOFOLLOW: a symbolic link anywhere is refused, also one swapped in while we walk. With
 * `follow: true` a link at a component is resolved by the kernel relative to the directory that
 * holds it, as the whole path would be (a detected file's path may pass through one, e.g.
 * /lib → usr/lib); what is then done there is checked against the file's identity.
 * Throws PathWalkError naming the component, or WDAV_ERR_INVALID_PATH for `..` or a relative path.
 */
export async function openDirAt(dir: FsPath, o: { follow: boolean }): Promise<FileHandle> {
  const b = toBuffer(dir);
  if (b[0] !== SLASH) throw new WdavError('WDAV_ERR_INVALID_PATH', `not an absolute path: ${b.toString('utf8')}`);
  // The directories on the way are opened O_PATH: they need only be searchable (mode 0711),
  // as for the kernel's own lookup; the last one is opened for reading (it is fsynced).
  const parts = components(b);
  const mode = (last: boolean) => (last ? O_RDONLY : O_PATH) | O_DIRECTORY;
  let cur = await fsp.open('/', mode(parts.length === 0));
  const walked: Buffer[] = [];
  try {
    for (const [i, part] of parts.entries()) {
      walked.push(Buffer.from('/'), part);
      let next: FileHandle;
      try {
        next = await fsp.open(inDir(cur, part), mode(i === parts.length - 1) | (o.follow ? 0 : O_NOFOLLOW));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw code ? new PathWalkError(code, Buffer.concat(walked), { cause: e }) : e;
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

/**
 * Opens an absolute directory path refusing a symbolic link at any component (openDirAt with
 * follow: false). Throws WDAV_ERR_RESTORE_DESTINATION_UNSAFE (link, not a directory) or
 * WDAV_ERR_INVALID_PATH.
 */
export async function openDirNoFollow(dir: string): Promise<FileHandle> {
  if (!path.isAbsolute(dir)) throw new WdavError('WDAV_ERR_INVALID_PATH', `the destination must be an absolute path: ${dir}`);
  try {
    return await openDirAt(path.normalize(dir), { follow: false });
  } catch (e) {
    if (!(e instanceof PathWalkError)) throw e;
    const walked = e.walked.toString('utf8');
    if (e.code === 'ELOOP' || e.code === 'ENOTDIR') {
      // Linux answers ENOTDIR for a link opened with O_DIRECTORY | O_NOFOLLOW: say which it is.
      const { dir: parent, base } = splitPath(e.walked);
      const link = await withDir(parent, true, async (h) => (await lstatOrNull(inDir(h, base)))?.isSymbolicLink() ?? false).catch(() => false);
      throw new WdavError('WDAV_ERR_RESTORE_DESTINATION_UNSAFE', `refusing ${dir}: ${walked} is ${link ? 'a symbolic link' : 'not a directory'}`);
    }
    if (e.code === 'ENOENT') throw new WdavError('WDAV_ERR_INVALID_PATH', `destination directory does not exist: ${walked}`);
    if (e.code === 'EACCES') throw new WdavError('WDAV_ERR_INVALID_PATH', `cannot open destination directory ${walked}: permission denied`);
    throw e;
  }
}

async function withDir<R>(dir: FsPath, follow: boolean, fn: (h: FileHandle) => Promise<R>): Promise<R> {
  const h = await openDirAt(dir, { follow });
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/** Opens the directory that contains `file` (component by component, following links there, as the path does). */
export async function openParent(file: FsPath): Promise<{ dir: FileHandle; base: Buffer }> {
  const { dir, base } = splitPath(file);
  return { dir: await openDirAt(dir, { follow: true }), base };
}

/**
 * lstat of an absolute path of any length (its directory opened component by component):
 * null when nothing is there — the name, or a directory on the way, is missing or is not a
 * directory. A caller that keeps a copy when the original is gone is then on the safe side.
 */
export async function lstatAt(file: FsPath): Promise<fs.BigIntStats | null> {
  const { dir, base } = splitPath(file);
  try {
    return await withDir(dir, true, (h) => lstatOrNull(inDir(h, base)));
  } catch (e) {
    if (e instanceof PathWalkError && e.missing) return null;
    throw e;
  }
}

/** open(2) of an absolute path of any length, relative to its open directory; answers the fd. */
export async function openAt(file: FsPath, flags: number): Promise<number> {
  const { dir, base } = splitPath(file);
  return withDir(dir, true, (h) => new Promise<number>((resolve, reject) => fs.open(inDir(h, base), flags, (e, fd) => (e ? reject(e) : resolve(fd)))));
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

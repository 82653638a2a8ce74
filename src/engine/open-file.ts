// src/engine/open-file.ts — opens a path the way the engine must: read-only, never following
// a symlink (O_NOFOLLOW), never blocking on a FIFO or device (O_NONBLOCK), without touching
// atime (O_NOATIME, which the kernel only allows to the owner or CAP_FOWNER — EPERM means retry
// without it). Also classifies open/stat/read failures into skipped vs error results.
// Owns: these flags and the errno mapping. Must not: read contents.
import fs from 'node:fs';

const C = fs.constants;
const BASE = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;  // libuv adds O_CLOEXEC itself
const NOATIME = C.O_NOATIME ?? 0;

function open(path: string | Buffer, flags: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st))));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}

export async function openForScan(path: string | Buffer): Promise<number> {
  if (NOATIME) {
    try {
      return await open(path, BASE | NOATIME);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
  }
  return open(path, BASE);
}

export type Failure = { kind: 'skipped'; reason: string } | { kind: 'error'; code: string; message: string };

/** A file that is gone or not a file is skipped; one we cannot read is an error. */
export function classifyFailure(e: unknown): Failure {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  const errno = typeof err?.errno === 'number' ? Math.abs(err.errno) : undefined;
  if (code === 'ENOENT' || code === 'ENOTDIR' || errno === 2) return { kind: 'skipped', reason: 'not_found' };
  if (code === 'ELOOP') return { kind: 'skipped', reason: 'symlink' };
  if (code === 'ENXIO' || code === 'ENODEV' || code === 'EISDIR') return { kind: 'skipped', reason: 'not_regular_file' };
  const message = err?.message ?? String(e);
  return { kind: 'error', code: 'WDAV_ERR_FILE_UNREADABLE', message };
}

// src/engine/archives/formats.ts — which archive format a byte string starts with, and how the
// content of a gzip stream is named. Owns: magic numbers. Must not: read files.
import path from 'node:path';
import { isTarHeader } from './tar-reader.js';
import type { ArchiveFormat } from './types.js';

export function detectArchiveFormat(head: Buffer): ArchiveFormat | null {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    const a = head[2];
    const b = head[3];
    if ((a === 3 && b === 4) || (a === 5 && b === 6) || (a === 0x30 && b === 0x30)) return 'zip';
  }
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return 'gzip';
  if (head.length >= 512 && isTarHeader(head.subarray(0, 512))) return 'tar';
  return null;
}

/** FNAME from a gzip header (RFC 1952), when present. */
export function gzipName(head: Buffer): string | null {
  if (head.length < 10 || !(head[3]! & 0x08)) return null;
  let off = 10;
  if (head[3]! & 0x04) {
    if (head.length < 12) return null;
    off += 2 + head.readUInt16LE(10);
  }
  const end = head.indexOf(0, off);
  if (end <= off) return null;
  const name = path.posix.basename(head.subarray(off, end).toString('latin1'));
  return name || null;
}

export function gunzippedName(name: string): string {
  if (/\.tgz$/iu.test(name)) return name.replace(/\.tgz$/iu, '.tar');
  if (/\.gz$/iu.test(name)) return name.replace(/\.gz$/iu, '');
  return name ? `${name}.out` : 'data';
}

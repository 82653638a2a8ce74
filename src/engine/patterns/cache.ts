// src/engine/patterns/cache.ts — the on-disk cache of compiled Vectorscan databases, so a
// restart deserializes in milliseconds instead of recompiling (100,000 patterns: ~50 s).
// File `hs-<key>.db`: "WDAVHS1\n", u32 BE header length, JSON header {key, count, version,
// rejected, sha256 of the bytes}, then hs_serialize_database bytes. The key is a SHA-256 of
// the Vectorscan version and every expression with its flags and offsets, so any change of
// patterns misses the cache; a file whose bytes do not match its sha256 is ignored.
// Written to a temp file and renamed (a crash never leaves a torn cache); older files pruned.
// The bytes go to the native deserializer, so a cache file is read only when it and every
// directory above it pass the trust rule (src/shared/trust.ts); otherwise readCache throws
// UntrustedPathError and the caller compiles instead (and writes nothing there).
// Owns: the cache files in the directory it is given. Must not: compile.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { readTrusted } from '../../shared/trust.js';

const MAGIC = Buffer.from('WDAVHS1\n');
const KEEP = 3;
/** Far above any database we compile (100,000 patterns: tens of MB). */
const MAX_CACHE_FILE = 2 ** 31 - 1;

export interface CacheHeader {
  key: string;
  count: number;
  version: string;
  rejected: { index: number; message: string }[];
  /** SHA-256 of the database bytes: a damaged file is never handed to hs_deserialize_database. */
  sha256?: string;
}

export function cacheFile(dir: string, key: string): string {
  return path.join(dir, `hs-${key.slice(0, 40)}.db`);
}

/** The cached header and database bytes, or undefined when absent, foreign or corrupt; throws UntrustedPathError. */
export async function readCache(dir: string, key: string): Promise<{ header: CacheHeader; bytes: Buffer } | undefined> {
  let buf: Buffer;
  try {
    buf = readTrusted(cacheFile(dir, key), MAX_CACHE_FILE);
  } catch (e) {
    if ((e as { code?: string }).code === 'WDAV_ERR_UNTRUSTED_PATH') throw e;
    return undefined;
  }
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const hl = buf.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + hl > buf.length) return undefined;
  try {
    const header = JSON.parse(buf.toString('utf8', start, start + hl)) as CacheHeader;
    const bytes = buf.subarray(start + hl);
    if (header.key !== key || !Array.isArray(header.rejected)) return undefined;
    if (header.sha256 !== createHash('sha256').update(bytes).digest('hex')) return undefined;
    return { header, bytes };
  } catch {
    return undefined;
  }
}

export async function writeCache(dir: string, header: CacheHeader, bytes: Buffer): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const h = Buffer.from(JSON.stringify({ ...header, sha256: createHash('sha256').update(bytes).digest('hex') }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  const file = cacheFile(dir, header.key);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, Buffer.concat([MAGIC, len, h, bytes]), { mode: 0o644 });
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await prune(dir, file);
  return file;
}

async function prune(dir: string, keep: string): Promise<void> {
  const names = (await fs.readdir(dir)).filter((n) => /^hs-[0-9a-f]+\.db$/.test(n));
  const stats = await Promise.all(
    names.map(async (n) => ({ file: path.join(dir, n), mtime: (await fs.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })),
  );
  stats.sort((a, b) => b.mtime - a.mtime);
  for (const s of stats.slice(KEEP)) if (s.file !== keep) await fs.rm(s.file, { force: true });
}

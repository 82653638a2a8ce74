// src/engine/patterns/vectorscan.ts — the Vectorscan body matcher: builds (or loads from the
// cache) one streaming database for the translated signatures and opens per-file streams.
// Compilation and every chunk scan run in native code on the libuv threadpool.
// Owns: the database of one definition set. Must not: parse signatures or read files itself.
import { createHash } from 'node:crypto';
import { errorMessage } from '../../shared/errors.js';
import type { HsExpression } from '../../definitions/ndb-hyperscan.js';
import type { PatternDb, PatternRejection, PatternsBinding, PatternStream } from './binding.js';
import { readCache, writeCache, type CacheHeader } from './cache.js';

export interface PatternDbInfo {
  /** Loaded from the cache instead of compiled. */
  cached: boolean;
  ms: number;
  bytes: number;
  cacheFile?: string;
  /** Why the cache could not be read or written (the database works regardless). */
  cacheError?: string;
}

export class VectorscanMatcher {
  readonly kind = 'vectorscan' as const;

  constructor(
    private readonly b: PatternsBinding,
    private readonly db: PatternDb,
    readonly info: PatternDbInfo,
    readonly rejected: readonly PatternRejection[],
  ) {}

  /** The addon this matcher runs on. */
  get binding(): PatternsBinding {
    return this.b;
  }

  /** The native database handle (the batch scanner streams files through it natively). */
  get database(): PatternDb {
    return this.db;
  }

  open(totalSize: number): VectorscanStream {
    return new VectorscanStream(this.b, this.b.patternsOpen(this.db, totalSize));
  }
}

/** See VectorscanStream.scan. */
export const SYNC_SCAN_BYTES = 64 * 1024;

export class VectorscanStream {
  private closed = false;

  constructor(
    private readonly b: PatternsBinding,
    private readonly s: PatternStream,
  ) {}

  /** Reads and scans up to `total` bytes at position in chunks of len (one threadpool trip). */
  readAndScan(fd: number, buf: Buffer, len: number, position: number, total = len, advance = false): Promise<number> {
    return this.b.patternsReadScan(this.s, fd, buf, len, position, total, advance);
  }

  /**
   * Scans the next chunk of a stream fed from memory (archive members). Chunks up to
   * SYNC_SCAN_BYTES are scanned on the calling thread (returns the count, not a promise): a
   * threadpool round trip costs more than scanning them, and they block the loop < ~50 µs.
   */
  scan(buf: Buffer): Promise<number> | number {
    if (buf.length <= SYNC_SCAN_BYTES && this.b.patternsScanSync) return this.b.patternsScanSync(this.s, buf, buf.length);
    return this.b.patternsScan(this.s, buf, buf.length);
  }

  /** Matched signature ids, ascending. Safe to call twice. */
  close(finalSize: number): Uint32Array {
    if (this.closed) return new Uint32Array(0);
    this.closed = true;
    return this.b.patternsClose(this.s, finalSize);
  }
}

function cacheKey(version: string, exprs: HsExpression[]): string {
  const h = createHash('sha256');
  h.update(`vectorscan ${version}\n`);
  for (const e of exprs) h.update(`${e.flags} ${e.minOffset} ${e.maxOffset} ${e.eof?.join(',') ?? ''} ${e.pattern}\n`);
  return h.digest('hex');
}

function eofRules(exprs: HsExpression[]): Float64Array {
  const out: number[] = [];
  exprs.forEach((e, id) => {
    if (e.eof) out.push(id, ...e.eof);
  });
  return Float64Array.from(out);
}

/**
 * Compiles `exprs` (ids = indexes), or loads the database compiled earlier for exactly these
 * expressions from `cacheDir`. Expressions Vectorscan refuses come back in `rejected`.
 */
export async function buildVectorscan(b: PatternsBinding, exprs: HsExpression[], cacheDir?: string): Promise<VectorscanMatcher> {
  const version = (b.features.vectorscanVersion ?? 'unknown').trim();
  const key = cacheKey(version, exprs);
  const eof = eofRules(exprs);
  const t0 = performance.now();
  let cacheError: string | undefined;
  if (cacheDir) {
    const hit = await readCache(cacheDir, key).catch((e: unknown) => {
      // Others could have written it: compile, and leave the directory alone.
      cacheError = `not used: ${errorMessage(e)}`;
      cacheDir = undefined;
      return undefined;
    });
    if (hit) {
      try {
        const db = await b.patternsLoad(hit.bytes, eof);
        const info = { cached: true, ms: performance.now() - t0, bytes: hit.bytes.length };
        return new VectorscanMatcher(b, db, info, hit.header.rejected);
      } catch (e) {
        // Another CPU or library version: recompile and overwrite.
        cacheError = `cached database unusable: ${errorMessage(e)}`;
      }
    }
  }
  const flags = Uint32Array.from(exprs, (e) => e.flags);
  const mins = Float64Array.from(exprs, (e) => e.minOffset);
  const maxs = Float64Array.from(exprs, (e) => e.maxOffset);
  const out = await b.patternsCompile(
    exprs.map((e) => e.pattern),
    flags,
    mins,
    maxs,
    eof,
  );
  const info: PatternDbInfo = { cached: false, ms: performance.now() - t0, bytes: out.serialized.length };
  if (cacheDir) {
    const header: CacheHeader = { key, count: exprs.length, version, rejected: out.rejected };
    try {
      info.cacheFile = await writeCache(cacheDir, header, out.serialized);
    } catch (e) {
      cacheError = `cannot write the pattern cache: ${errorMessage(e)}`;
    }
  }
  if (cacheError) info.cacheError = cacheError;
  return new VectorscanMatcher(b, out.db, info, out.rejected);
}

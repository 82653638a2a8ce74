// src/engine/batch-native.ts — types of the scanbatch section of the native addon
// (native/binding.cc over native/core/scanbatch.*), the per-file record layout it writes
// (mirrors scanbatch.h: change both together) and the check that it is present.
// Must not: wrap behaviour (batch.ts does).
import type { NativeBinding } from '../shared/native.js';
import type { PatternDb } from './patterns/binding.js';

declare const planBrand: unique symbol;
export type ScanPlan = { readonly [planBrand]: true };

export interface PlanSizes {
  /** Sorted distinct sizes (one array per hash table); merged natively. */
  sizes: Uint32Array[];
  /** A `*` signature exists: every file needs this digest. */
  any: boolean;
  /**
   * Every table of this kind (src/definitions/hash-index.ts layout). When given for every kind,
   * the pass sets FLAG.hashHit on a file one of whose digests some table holds for its size,
   * and a digest without it is no evidence. The plan keeps them alive.
   */
  tables?: { records: Uint8Array; buckets: Uint32Array }[];
}

export interface ScanPlanOptions {
  db: PatternDb | null;
  /** Matched ids at or above this are ignored (not body signatures of the set). */
  bodyCount: number;
  chunkSize: number;
  md5: PlanSizes;
  sha1: PlanSizes;
  sha256: PlanSizes;
  /** The scanner's YARA rule set the content pass runs as well (0 / absent: none). */
  yaraSet?: number;
  yaraLimitMs?: number;
  yaraMaxBytes?: number;
}

export interface ScanBatchBinding {
  /** Returns memory the allocator holds but nothing uses to the system (glibc malloc_trim). */
  releaseMemory(): boolean;
  scanPlan(o: ScanPlanOptions): ScanPlan;
  /**
   * Scans the files on the libuv threadpool, one record per file into `records`. Once it
   * returns, it owns the fds: all are closed by the time it resolves except those whose record
   * has LEFT_OPEN. With BATCH_KEEP_ARCHIVES_OPEN, archive candidates that fit in what is left
   * of `spill` are copied there whole instead (IN_SPILL, fd closed); with `archiveLimits`
   * (ARCHIVE_LIMIT_FIELDS order), those the native core can prove clean under these limits get
   * ARCHIVE_CLEAN and need no walk (native/core/archclean.h). Never rejects (throws synchronously
   * on bad arguments, taking nothing).
   */
  scanBatch(plan: ScanPlan, fds: Int32Array, records: Buffer, maxFileSize: number, flags: number, cancel: Int32Array | null, spill?: Buffer | null, archiveLimits?: Float64Array | null, yaraLimitMs?: number): Promise<void>;
  /**
   * A scanning lane (native/core/scanlane.h): a thread of its own, `nice` steps below the
   * daemon's priority, that runs the batches given to laneBatch one after the other. Absent
   * from an addon that predates lanes.
   */
  scanLane?(nice: number): ScanLane;
  /** scanBatch's contract, run on `lane` after the batches posted to it before. */
  laneBatch?(lane: ScanLane, plan: ScanPlan, fds: Int32Array, records: Buffer, maxFileSize: number, flags: number, cancel: Int32Array | null, spill?: Buffer | null, archiveLimits?: Float64Array | null, yaraLimitMs?: number): Promise<void>;
}

declare const laneBrand: unique symbol;
/** An opaque native lane handle (its thread ends when the handle is collected). */
export type ScanLane = { readonly [laneBrand]: true };

/** The archive limits scanBatch takes, in this order (a Float64Array). */
export const ARCHIVE_LIMIT_FIELDS = ['maxDepth', 'maxFiles', 'maxScanSize', 'maxFileSize', 'maxRatio', 'ratioMinSize'] as const;

/** scanBatch flags. */
export const BATCH_SHA256_ALWAYS = 1;
export const BATCH_KEEP_ARCHIVES_OPEN = 2;
export const BATCH_SHA256_MATCHED = 4;

/** Record layout (bytes), as in native/core/scanbatch.h. */
export const REC = {
  size: 256,
  status: 0,
  flags: 4,
  body: 8,
  headLen: 12,
  bytes: 16,
  md5: 24,
  sha1: 40,
  sha256: 60,
  head: 96,
  headMax: 128,
  detail: 224,
  spillAt: 232,
  spillLen: 240,
} as const;

/** Record status: 0 scanned, > 0 an errno, < 0 one of these. */
/** REC.detail of a STATUS.scanError record from the scanner's content pass (native/core/content_link.h kDetail*). */
export const SCAN_ERROR_DETAIL = { scannerUnavailable: 2, scannerLate: 3 } as const;
export const STATUS = { scanned: 0, scanError: -1, notRegular: -2, tooLarge: -3, cancelled: -4 } as const;

export const FLAG = { md5: 1, sha1: 2, sha256: 4, head: 8, archive: 16, leftOpen: 32, inSpill: 64, hashHit: 128, tablesChecked: 256, archiveClean: 512, yaraMatched: 1024, yaraIncomplete: 2048, yaraSkipped: 4096, yaraTimeout: 8192 } as const;

/** The scanbatch section of `native`, or null when the addon predates it. */
export function scanBatchBinding(native: NativeBinding | null | undefined): ScanBatchBinding | null {
  if (!native || typeof native['scanBatch'] !== 'function' || typeof native['scanPlan'] !== 'function') return null;
  return native as unknown as ScanBatchBinding;
}

// src/engine/archives/limits.ts — the clamd-like limits of the archive walker, their defaults and
// validation, and the names of the `archive_bomb` detections raised when one is exceeded.
// Owns: ArchiveLimits, ArchiveLimitExceeded. Must not: read archives or call the engine.
import { WdavError } from '../../shared/errors.js';

export interface ArchiveLimits {
  /** Nested archive levels below the scanned file (clamd MaxRecursion). */
  maxDepth: number;
  /** Members counted over the whole walk, nested ones included (clamd MaxFiles). */
  maxFiles: number;
  /** Uncompressed bytes handed to the scanner over the whole walk (clamd MaxScanSize). */
  maxScanSize: number;
  /** Uncompressed bytes of one member (clamd MaxFileSize). */
  maxFileSize: number;
  /** Uncompressed/compressed ratio above which a member is a bomb... */
  maxRatio: number;
  /** ...once it has produced more than this many bytes (small members compress freely). */
  ratioMinSize: number;
  /** Wall-clock budget of one walk (clamd MaxScanTime). */
  maxScanTimeMs: number;
  /** Nested archives up to this size are held in memory; larger ones go to an unlinked temp file. */
  spoolInMemory: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxDepth: 17,
  maxFiles: 10_000,
  maxScanSize: 400 * MiB,
  maxFileSize: 100 * MiB,
  maxRatio: 100,
  ratioMinSize: 1 * MiB,
  maxScanTimeMs: 120_000,
  spoolInMemory: 1 * MiB,
});

export function resolveArchiveLimits(partial?: Partial<ArchiveLimits>): ArchiveLimits {
  const out: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS };
  if (!partial) return out;
  for (const [key, value] of Object.entries(partial) as [keyof ArchiveLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_ARCHIVE_LIMITS)) {
      throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `Unknown archive limit '${key}'`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `Archive limit '${key}' must be a positive integer, got ${String(value)}`);
    }
    out[key] = value;
  }
  return out;
}

/** Which limit was exceeded; each maps to one detection name. */
export type ArchiveLimitName =
  | 'MaxRecursion'
  | 'MaxFiles'
  | 'MaxScanSize'
  | 'MaxFileSize'
  | 'MaxCompressionRatio'
  | 'MaxScanTime'
  | 'OverlappingFiles';

/** The detection name reported for a limit, following ClamAV's heuristic names. */
export function limitDetectionName(limit: ArchiveLimitName): string {
  return limit === 'OverlappingFiles' ? 'Heuristics.Zip.OverlappingFiles' : `Heuristics.Limits.Exceeded.${limit}`;
}

/** Thrown inside the walk (also through the member chunks the scanner reads) and turned into a detection. */
export class ArchiveLimitExceeded extends Error {
  constructor(
    readonly limit: ArchiveLimitName,
    /** The member (or nested archive) at fault; '' for the scanned file itself. */
    readonly memberPath: string,
    detail: string,
  ) {
    super(`${limitDetectionName(limit)}: ${detail}`);
    this.name = 'ArchiveLimitExceeded';
  }
}

/** A malformed archive: reported as a note on a clean result, never thrown out of the walker. */
export class ArchiveFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveFormatError';
  }
}

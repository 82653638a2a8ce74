// src/engine/archives/types.ts — the walker's contract with the engine: what a member looks like to
// scanMember, what scanMember answers, and what walkArchive returns (docs/archives.md).
// Owns: types only.
import type { Detection, ThreatType, UnscannedMember } from '../types.js';
import type { ArchiveLimits } from './limits.js';
import type { ErrorCode } from '../../shared/errors.js';

export type ArchiveFormat = 'zip' | 'gzip' | 'tar';

export interface ArchiveMember {
  /** Path inside the scanned file, e.g. `dir/inner.tar.gz->evil.bin`. */
  path: string;
  /** Exact size in bytes. */
  size: number;
  /** 1 for members of the scanned file, 2 for members of an archive inside it, ... */
  depth: number;
  /** The whole member, when it is held in memory anyway. */
  buffer?: Buffer;
  /** The member's bytes in order; iterate once. Throws when a walk limit is hit while reading. */
  chunks(): AsyncIterable<Buffer>;
}

export type MemberVerdict =
  | { kind: 'clean' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'detected'; name: string; threatType: ThreatType; engine: string }
  | { kind: 'error'; code: string; message: string };

export type ScanMember = (member: ArchiveMember, signal: AbortSignal) => Promise<MemberVerdict>;

export interface ArchiveWalkContext {
  signal?: AbortSignal;
  limits?: Partial<ArchiveLimits>;
  /** Where nested archives larger than limits.spoolInMemory are spooled (default os.tmpdir()). */
  tmpDir?: string;
  /** Name of the scanned file, used to name a gzip's content when its header carries none. */
  name?: string;
}

export type { UnscannedMember } from '../types.js';

/** Unscanned members listed per walk (the count goes on). */
export const MAX_UNSCANNED_LISTED = 50;

export interface WalkStats {
  format: ArchiveFormat;
  members: number;
  bytes: number;
  notes: string[];
  /** Members not looked into (the first MAX_UNSCANNED_LISTED), and how many there were. */
  unscanned?: UnscannedMember[];
  unscannedCount?: number;
  /**
   * Limits this walk found exceeded: the one that became the detection, or one seen up front (a
   * directory with more entries than maxFiles, overlapping entries) after a threat found before
   * it, which stays the verdict.
   */
  limitsExceeded?: number;
}

export type ArchiveWalkResult =
  | { kind: 'not_archive' }
  | ({ kind: 'clean' } & WalkStats)
  | ({ kind: 'detected'; detection: Detection } & WalkStats)
  | ({ kind: 'error'; code: string; message: string } & Partial<WalkStats>);

/** The error code of a walk stopped by ctx.signal. */
export const SCAN_CANCELLED: ErrorCode = 'WDAV_ERR_SCAN_CANCELLED';

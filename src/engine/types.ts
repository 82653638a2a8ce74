// src/engine/types.ts — the engine's contract with its callers (real-time protection,
// on-demand scans, threats). Owns only types. The engine knows nothing of queues or RTP.

/** Threat types (issue 6); `threatTypeSettings` can act per type. */
export const THREAT_TYPES = ['virus', 'trojan', 'potentially_unwanted_application', 'archive_bomb', 'test'] as const;
export type ThreatType = (typeof THREAT_TYPES)[number];

/** What to scan: an open fd (real-time events; the engine must not close it) or a path. */
export type ScanSource = { fd: number; path?: string } | { path: string | Buffer };

export interface ScanContext {
  origin: 'real_time' | 'on_write' | 'on_demand';
  /** Look inside zip/gzip/tar (on-demand scans with scanArchives). */
  scanArchives: boolean;
  /** Files larger than this are skipped (reason 'too_large'); 0 = no limit. */
  maxFileSize: number;
  /** Compute sha256 of every scanned file (enableFileHashComputation). */
  computeHash?: boolean;
  signal?: AbortSignal;
  /**
   * YARA work allowed for this file, in ms (wdavdaemon.scanTimeLimitMs); absent: the engine's
   * default. Never unlimited. Hashes and Vectorscan need no limit: they are linear in the size.
   */
  timeLimitMs?: number;
  /**
   * Real-time scans: when the verdict is due (Date.now() milliseconds, the answer's reserve
   * already taken off). YARA stops by then whatever timeLimitMs says.
   */
  deadline?: number;
}

/** A scan that ended at its time limit before YARA had finished (reported as scan_timeout). */
export interface ScanTimeout {
  engine: 'yara';
  limitMs: number;
}

export interface Detection {
  name: string;
  threatType: ThreatType;
  /** Where inside an archive, e.g. `dir/inner.tar.gz->evil.bin` (the outer path is the caller's). */
  memberPath?: string;
  /** Which kind of signature matched: 'builtin' | 'hash' | 'body' | 'yara' | 'archive_limit'. */
  engine: string;
}

export type ScanResult =
  | {
      kind: 'clean';
      bytes: number;
      sha256?: string;
      generation: number;
      /** No engine detected anything, but YARA did not finish (the file is allowed). */
      scanTimeout?: ScanTimeout;
      /**
       * Archive members the walk could not look into (encrypted, compressed with a method it
       * cannot decompress, ...): the file is clean only as far as it was scanned. The first
       * MAX_UNSCANNED_LISTED, and how many there were.
       */
      unscanned?: UnscannedMember[];
      unscannedCount?: number;
    }
  | ({ kind: 'detected'; bytes: number; sha256?: string; generation: number } & Detection)
  | { kind: 'skipped'; reason: string; generation: number }
  | { kind: 'error'; code: string; message: string; generation: number };

export interface Engine {
  scan(source: ScanSource, ctx: ScanContext): Promise<ScanResult>;
  /**
   * On-demand batches (engine.ts / batch.ts): takes ownership of every fd and closes it; never
   * rejects. `readDone` is called once the native read pass is over (the thread is free again),
   * before the JS part (verdicts, archive walks); `posted`, when the batch was handed to an
   * on-demand lane (setScanThreads) and waits there for its turn. Optional: an engine (or a
   * test wrapper) without it is driven file by file.
   */
  scanBatch?(files: BatchFiles, ctx: ScanContext, readDone?: () => void, posted?: () => void): Promise<BatchOutcome>;
  /**
   * On-demand batches run on `n` scanning threads of the engine's own (maximumOnDemandScanThreads).
   * Returns how many batches each thread may be given at once (the one it scans included), 1
   * when batches run on the shared threadpool instead.
   */
  setScanThreads?(n: number): number;
  /** The definitions generation new scans start on; changes on every (re)load. */
  readonly generation: number;
}

/**
 * A member the walker could not look into: its data is in a form it cannot decompress, or it is
 * encrypted, or it could not be read. Reported, never counted as clean (docs/archives.md).
 */
export interface UnscannedMember {
  /** Path inside the scanned file, as for detections: `dir/inner.zip->secret.bin`. */
  member: string;
  /**
   * encrypted | unsupported_method (bzip2, LZMA, deflate64, ...) | malformed_entry (a zip entry
   * whose sizes or offset cannot be read) | unreadable_directory (the rest of a zip directory) |
   * not_walked (a zip at the end of a member too large to read twice).
   */
  reason: 'encrypted' | 'unsupported_method' | 'malformed_entry' | 'unreadable_directory' | 'not_walked';
  /** The compression method's (or encryption's) name, when that is the reason. */
  method?: string;
}

/** A batch of opened files for one native read pass (src/engine/batch.ts). */
export interface BatchFiles {
  /** Opened regular files; scanBatch owns (and closes) them from the call on. */
  fds: Int32Array;
  /** Display path of file i (archive member naming, per-file fallback). */
  path?(i: number): string;
}

export interface BatchOutcome {
  /** Files found clean and their bytes: no object per clean file. */
  clean: number;
  cleanBytes: number;
  /** Every other result (detected, skipped, error; clean with a sha256, a scanTimeout or unscanned archive members), by index. */
  others: { index: number; result: ScanResult }[];
}

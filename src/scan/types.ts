// src/scan/types.ts — what an on-demand scan reports: its summary (live and in history), the
// threats it found, and the progress events streamed by the API. Owns only types.
import type { ThreatType } from '../engine/types.js';
import type { UnscannedMember } from '../engine/archives/types.js';
import type { ThreatAction } from '../threats/types.js';
import type { ScanType } from './targets.js';
import type { WalkCounts, WalkEvent } from './walker.js';

export type ScanState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** MDE's names for states in `mdatp scan list`. */
export const STATE_LABEL: Record<ScanState, string> = { running: 'Running', succeeded: 'Succeeded', failed: 'Failed', cancelled: 'Cancelled' };

export interface ScanThreat {
  name: string;
  threatType: ThreatType;
  /** Display path (bytes that are not valid UTF-8 escaped as \xHH). */
  path: string;
  memberPath?: string;
  engine: string;
  sha256?: string;
  size?: number;
  /** What the threat service did (absent until it exists: the threat is then only recorded). */
  action?: ThreatAction;
  threatId?: string | null;
  detectedAt: string;
}

/** An archive member the scan could not look into (docs/archives.md "What is not scanned"). */
export interface ScanUnscanned {
  /** The archive's display path. */
  path: string;
  member: string;
  reason: UnscannedMember['reason'];
  method?: string;
}

export interface ScanDetails {
  walk: WalkCounts;
  /** Files not scanned, by reason (too_large, engine reasons, cancelled). */
  skippedBy: Record<string, number>;
  /** Files the engine could not scan, by code. */
  errorsBy: Record<string, number>;
  /** Files whose YARA scan reached wdavdaemon.scanTimeLimitMs (stored here: history keeps it). */
  scanTimeouts?: number;
  /** First failures (walk and scan), for the operator. */
  events: WalkEvent[];
  mountsSkipped?: string[];
  /** The first archive members not scanned (see ScanSummary.unscanned), with their archive. */
  unscanned?: ScanUnscanned[];
}

export interface ScanSummary {
  id: string;
  type: ScanType;
  state: ScanState;
  paths: string[];
  ignoreExclusions: boolean;
  requestedBy: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number;
  filesScanned: number;
  bytesScanned: number;
  threatsDetected: number;
  /** Files found but not scanned (exclusions, size limit, engine skips). */
  skipped: number;
  /** Files that could not be read or scanned (walk failures included). */
  errors: number;
  /** Files scanned whose YARA part reached the time limit (allowed on the other engines' verdict). */
  scanTimeouts: number;
  /**
   * Archive members not scanned (encrypted, compressed with a method the engine cannot
   * decompress, ...): their archives count as scanned, but are clean only as far as they could
   * be looked into. The first ones are listed in details.unscanned.
   */
  unscanned: number;
  details: ScanDetails;
  message: string | null;
}

export interface ScanProgress extends ScanSummary {
  /** Files found so far (the walk runs ahead of the scan). */
  filesFound: number;
  currentPath: string | null;
}

export type ScanEvent =
  | { event: 'started'; scan: ScanProgress }
  | { event: 'progress'; scan: ScanProgress }
  | { event: 'threat'; scanId: string; threat: ScanThreat }
  | { event: 'end'; scan: ScanSummary; threats: ScanThreat[] };

// src/threats/types.ts — what real-time protection and on-demand scans hand to the threat
// service after a detection, and what they get back. Owns only types.
import type { ThreatType } from '../engine/types.js';

/** Who asked for a threat operation: the caller's uid, or null for the daemon itself. */
export type Actor = number | null;

export type DetectionSource = 'real_time' | 'on_write' | 'on_demand';

export interface ProcessInfo {
  pid: number;
  name?: string;
  executable?: string;
  uid?: number;
}

export interface DetectionEvent {
  /** Signature name, e.g. `Virus:DOS/EICAR_Test_File`. */
  name: string;
  threatType: ThreatType;
  /** The file's path as text (invalid UTF-8 bytes escaped as \xHH). */
  path: string;
  /** The exact bytes of the path when it is not valid UTF-8. */
  rawPath?: Buffer;
  /** Member inside an archive, `dir/inner.tar.gz->evil.bin`. */
  memberPath?: string;
  /** sha256 of the file at `path` (the whole archive for a member); computed by the threat service when absent. */
  sha256?: string;
  size?: number;
  /**
   * An open, readable descriptor of the file (real-time events). Quarantine copies from it
   * (pread; its offset is untouched) instead of reopening the path. The caller keeps
   * ownership and closes it after `handle` resolves.
   */
  fd?: number;
  source: DetectionSource;
  /** The on-demand scan this came from. */
  scanId?: string;
  process?: ProcessInfo;
  /** Real-time protection denied the access. */
  blocked: boolean;
  /** Which engine part matched (builtin, hash, body, yara, archive_limit). */
  engine: string;
}

export type ThreatAction = 'quarantined' | 'quarantine_failed' | 'blocked' | 'reported' | 'allowed' | 'ignored';

export interface ThreatOutcome {
  /** null when the threat type is `off` (nothing recorded). */
  threatId: string | null;
  action: ThreatAction;
}

export interface ThreatHandler {
  handle(ev: DetectionEvent): Promise<ThreatOutcome>;
}

// src/config/settings.ts — the effective settings model and the one function that gives the
// built-in defaults. Owns names and types of every setting. Must not: read files or the store.
import type { ThreatType } from '../engine/types.js';
import type { LogLevel } from '../shared/logger.js';

export type EnforcementLevel = 'real_time' | 'on_demand' | 'passive';
export type ThreatAction = 'audit' | 'block' | 'off';
export type MergePolicy = 'merge' | 'admin_only';
export type ExclusionScope = 'epp' | 'global';

export type Exclusion =
  | { kind: 'path'; path: string; isDirectory: boolean; scope: ExclusionScope }
  | { kind: 'extension'; extension: string; scope: ExclusionScope }
  | { kind: 'process'; name: string; scope: ExclusionScope };

/** Our own keys (the `wdavdaemon` section of mdatp_managed.json), documented in docs/config.md. */
export interface DaemonSettings {
  /** Answer given when a real-time verdict cannot be reached in time (deadline, queue full). */
  rtpDefaultResponse: 'allow' | 'deny';
  /** Deadline for a permission event, in milliseconds. */
  rtpTimeoutMs: number;
  /** Files larger than this are not scanned in real time (bytes; 0 = no limit). */
  rtpMaxFileSize: number;
  /** Files larger than this are not scanned on demand (bytes; 0 = no limit). */
  onDemandMaxFileSize: number;
  /** Capacity of the bounded scan queue shared by real-time and on-demand scans. */
  scanQueueCapacity: number;
  /** Mode of the control socket, octal string. */
  socketMode: string;
  /** Group allowed to read (health, lists). */
  socketGroup: string;
  /** Maximum directories the chokidar fallback watches before it reports a health issue. */
  chokidarMaxDirectories: number;
  /**
   * A folder of trusted public keys for signed definition packages, besides the keys/ folder
   * installed with the daemon; null = /etc/wdavdaemon/keys (root) or ~/.config/wdavdaemon/keys.
   */
  definitionsTrustedKeysDir: string | null;
  /** Control-socket connections of all callers other than administrators together. */
  apiMaxConnections: number;
  /** Control-socket connections of one uid other than an administrator. */
  apiMaxConnectionsPerUid: number;
  /** Control-socket connections reserved to administrators (root, the daemon's uid). */
  apiAdminConnections: number;
  /**
   * YARA work allowed per file in on-demand scans (ms). Real-time scans stop earlier: before
   * rtpTimeoutMs's deadline, so the other engines' verdict is the answer.
   */
  scanTimeLimitMs: number;
}

export interface Settings {
  enforcementLevel: EnforcementLevel;
  exclusions: Exclusion[];
  exclusionsMergePolicy: MergePolicy;
  allowedThreats: string[];
  disallowedThreatActions: ('allow' | 'restore')[];
  threatTypeSettings: Partial<Record<ThreatType, ThreatAction>>;
  threatTypeSettingsMergePolicy: MergePolicy;
  scanArchives: boolean;
  maximumOnDemandScanThreads: number;
  scanHistoryMaximumItems: number;
  scanResultsRetentionDays: number;
  unmonitoredFilesystems: string[];
  nonExecMountPolicy: 'unmute' | 'mute';
  enableFileHashComputation: boolean;
  scanAfterDefinitionUpdate: boolean;
  offlineDefinitionUpdate: boolean;
  offlineDefinitionUpdateUrl: string | null;
  offlineDefinitionUpdateVerifySig: boolean;
  automaticDefinitionUpdateEnabled: boolean;
  /** Seconds between automatic definition updates. */
  definitionUpdatesInterval: number;
  proxy: string | null;
  logLevel: LogLevel;
  wdavdaemon: DaemonSettings;
}

export function defaultSettings(): Settings {
  return {
    enforcementLevel: 'real_time',
    exclusions: [],
    exclusionsMergePolicy: 'merge',
    allowedThreats: [],
    disallowedThreatActions: [],
    threatTypeSettings: { potentially_unwanted_application: 'audit', archive_bomb: 'audit' },
    threatTypeSettingsMergePolicy: 'merge',
    scanArchives: true,
    maximumOnDemandScanThreads: 2,
    scanHistoryMaximumItems: 10000,
    scanResultsRetentionDays: 90,
    unmonitoredFilesystems: ['nfs', 'fuse'],
    nonExecMountPolicy: 'unmute',
    enableFileHashComputation: false,
    scanAfterDefinitionUpdate: true,
    offlineDefinitionUpdate: false,
    offlineDefinitionUpdateUrl: null,
    offlineDefinitionUpdateVerifySig: true,
    automaticDefinitionUpdateEnabled: true,
    definitionUpdatesInterval: 28800,
    proxy: null,
    logLevel: 'info',
    wdavdaemon: {
      rtpDefaultResponse: 'allow',
      rtpTimeoutMs: 5000,
      rtpMaxFileSize: 256 * 1024 * 1024,
      onDemandMaxFileSize: 0,
      scanQueueCapacity: 4096,
      socketMode: '0660',
      socketGroup: 'mdatp',
      chokidarMaxDirectories: 10000,
      definitionsTrustedKeysDir: null,
      apiMaxConnections: 64,
      apiMaxConnectionsPerUid: 8,
      apiAdminConnections: 16,
      scanTimeLimitMs: 30_000,
    },
  };
}

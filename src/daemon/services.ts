// src/daemon/services.ts — the daemon's components, as API routes and health see them. Built by
// the composition root (src/daemon/create.ts) once every component the control API needs has
// started; the two that start after the API opens (on-demand scans, real-time protection) are
// filled in by the root as they come up, and routes answer 503 until then. Owns only the shape.
import type { ConfigService } from '../config/service.js';
import type { Db } from '../store/db.js';
import type { ExclusionsStore } from '../store/exclusions.js';
import type { MetaStore } from '../store/meta.js';
import type { SettingsStore } from '../store/settings.js';
import type { StorageHealth } from '../store/storage-health.js';
import type { LoggerFactory } from '../shared/logger.js';
import type { NativeBinding } from '../shared/native.js';
import type { ScanQueue } from '../scan/queue.js';
import type { ScanManager } from '../scan/manager.js';
import type { ThreatService } from '../threats/service.js';
import type { DefinitionsService } from '../definitions/service.js';
import type { ScanEngine } from '../engine/engine.js';
import type { ScannerProcess } from '../scanner/process.js';
import type { ScannerIdentity } from '../scanner/identity.js';
import type { RtpRuntime } from '../rtp/runtime.js';
import type { HealthRegistry } from './health.js';
import type { DaemonOptions } from './options.js';

export interface Store {
  db: Db;
  file: string;
  meta: MetaStore;
  settings: SettingsStore;
  exclusions: ExclusionsStore;
  /** Can the state directory still be written (src/store/storage-health.ts)? */
  storage: StorageHealth;
}

/** What every stage may use: built before the first stage runs. */
export interface Core {
  options: DaemonOptions;
  logs: LoggerFactory;
  native: NativeBinding;
  config: ConfigService;
  health: HealthRegistry;
  queue: ScanQueue;
  startedAt: Date;
  /** Sections of `mdatp diagnostic create`, by file name inside the archive. */
  diagnostics: Map<string, () => unknown>;
}

export interface Scanner {
  process: ScannerProcess;
  identity: ScannerIdentity;
}

export interface Services extends Core {
  store: Store;
  scanner: Scanner;
  definitions: DefinitionsService;
  engine: ScanEngine;
  threats: ThreatService;
  /** Set when the 'scans' stage has started (after the control API opens). */
  scans?: ScanManager;
  /** Set when the 'rtp' stage has started (last). */
  rtp?: RtpRuntime;
}

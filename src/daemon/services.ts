// src/daemon/services.ts — the daemon's components, as API routes and other components see
// them. Filled in order by src/daemon/lifecycle.ts. Owns only the shape.
import type { ConfigService } from '../config/service.js';
import type { Db } from '../store/db.js';
import type { ExclusionsStore } from '../store/exclusions.js';
import type { MetaStore } from '../store/meta.js';
import type { SettingsStore } from '../store/settings.js';
import type { StorageHealth } from '../store/storage-health.js';
import type { LoggerFactory } from '../shared/logger.js';
import type { NativeBinding } from '../shared/native.js';
import type { ScanQueue } from '../scan/queue.js';
import type { ThreatService } from '../threats/service.js';
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

export interface Services {
  options: DaemonOptions;
  logs: LoggerFactory;
  native: NativeBinding;
  config: ConfigService;
  store: Store;
  health: HealthRegistry;
  queue: ScanQueue;
  startedAt: Date;
  /** Sections of `mdatp diagnostic create`, by file name inside the archive. */
  diagnostics: Map<string, () => unknown>;
  /** Set by the 'threats' stage (src/threats/stage.ts). */
  threats?: ThreatService;
}

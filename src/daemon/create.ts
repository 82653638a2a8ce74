// src/daemon/create.ts — the composition root (ARCHITECTURE §1b): builds every component of the
// daemon in dependency order, each from required, typed dependencies, through stage factories
// that return the component with its own stop and reload (src/daemon/lifecycle.ts):
//   config → state (trust of the state directory) → store → scanner process → definitions →
//   engine → threats → control API → on-demand scans → real-time protection.
// Shutdown runs in reverse: RTP stops first, then scans drain, the API closes, the DB closes.
// main.ts runs it for the wdavdaemon process; tests run it in-process and call the API with
// Fastify inject(). Owns: construction order and the one late binding (the definitions service
// starts before the engine that is built on its first set). Must not: hold component logic.
import { ConfigService } from '../config/service.js';
import { defaultSettings } from '../config/settings.js';
import { LoggerFactory } from '../shared/logger.js';
import type { NativeBinding } from '../shared/native.js';
import { ScanQueue } from '../scan/queue.js';
import type { ScanEngine } from '../engine/engine.js';
import type { ScanManager } from '../scan/manager.js';
import type { Api } from '../api/app.js';
import type { CallerSource } from '../api/authz.js';
import { startApi } from '../api/stage.js';
import { startThreats } from '../threats/stage.js';
import { startScans } from '../scan/stage.js';
import { startDefinitions, startEngine } from '../definitions/stage.js';
import { startRtp } from '../rtp/stage.js';
import { startScanner } from '../scanner/stage.js';
import { scanBatchBinding } from '../engine/batch-native.js';
import { HealthRegistry } from './health.js';
import { Lifecycle, type StageStatus } from './lifecycle.js';
import type { DaemonOptions } from './options.js';
import type { Core, Services } from './services.js';
import { startConfig, startStore } from './core-stages.js';
import { startState } from './state-stage.js';

export interface DaemonDeps {
  native: NativeBinding;
  logs?: LoggerFactory;
  /** systemd STATUS= lines during startup (main.ts passes its Notifier). */
  status?: StageStatus;
  /** Who calls the control API; the kernel's peer credentials unless given (in-process tests). */
  callers?: CallerSource;
  /** Aborted (a signal during startup): no further stage starts; what started stops. */
  signal?: AbortSignal;
}

export interface RunningDaemon {
  services: Services;
  /** The control API: listening on options.socket, and callable with inject(). */
  api: Api;
  stop(reason: string): Promise<void>;
  reload(): Promise<void>;
  /** What a shutdown still has to do (for the shutdown deadline's log). */
  pending(): { stopping: string | null; left: string[] };
}

/** Starts the daemon; on a failed stage, what started is stopped again and the error thrown. */
export async function createDaemon(options: DaemonOptions, deps: DaemonDeps): Promise<RunningDaemon> {
  const logs = deps.logs ?? new LoggerFactory({ level: options.logLevel ?? 'info' });
  const config = new ConfigService({ managedFile: options.managedConfig, logger: logs.child('config') });
  const core: Core = {
    options,
    logs,
    native: deps.native,
    config,
    health: new HealthRegistry((id) => config.isManaged(id)),
    queue: new ScanQueue(defaultSettings().wdavdaemon.scanQueueCapacity, 4),
    startedAt: new Date(),
    diagnostics: new Map(),
  };
  const life = new Lifecycle(logs.child('daemon'), deps.status ?? null, deps.signal);
  // The definitions service starts before the engine that is built on its first set, and a
  // definitions update may start a scan: both are read when they happen, never before.
  let engine: ScanEngine | undefined;
  let scans: ScanManager | undefined;
  try {
    await life.run('config', () => startConfig(core));
    await life.run('state', () => startState(options.stateDir));
    const store = await life.run('store', () => startStore(core));
    const scanner = await life.run('scanner', () => startScanner(core));
    const definitions = await life.run('definitions', () => startDefinitions(core, scanner, { engine: () => engine, scans: () => scans }));
    const built = await life.run('engine', () => startEngine(core, definitions, scanner));
    engine = built;
    const threats = await life.run('threats', () => startThreats(core, store));
    const services: Services = { ...core, store, scanner, definitions, engine: built, threats };
    const api = await life.run('api', () => startApi(services, { callers: deps.callers }));
    scans = services.scans = await life.run('scans', () => startScans(core, store, built, threats));
    services.rtp = await life.run('rtp', () => startRtp(core, { engine: built, threats, definitions }));
    if (deps.signal?.aborted) throw new Error('startup stopped after its last stage: the daemon was asked to stop');
    // Start-up frees far more than it keeps (parsed definitions, the plans built for and sent to
    // the scanner, compiled schemas): give the pages back, or the idle daemon holds them for good.
    scanBatchBinding(deps.native)?.releaseMemory();
    return {
      services,
      api,
      stop: (reason) => life.stop(reason),
      reload: () => life.reload(),
      pending: () => life.pending(),
    };
  } catch (e) {
    await life.stop(`startup failed: ${(e as Error)?.message ?? String(e)}`);
    throw e;
  }
}

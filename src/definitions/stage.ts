// src/definitions/stage.ts — the 'definitions' and 'engine' daemon stages (after 'store',
// before 'api'): load the current definitions generation (plus the custom drop-in overlay),
// create the engine on it, keep update settings and the automatic update timer in step with
// the configuration, and report definitions health. After every switch the service emits
// 'changed'; real-time protection listens to drop its verdict caches and kernel marks, and
// with scanAfterDefinitionUpdate a quick scan follows an update.
// Owns: wiring only. Must not: parse definitions or scan.
import type { Started } from '../daemon/lifecycle.js';
import type { Core, Scanner } from '../daemon/services.js';
import type { ScanManager } from '../scan/manager.js';
import type { SettingId } from '../config/managed-keys.js';
import type { Settings } from '../config/settings.js';
import { createEngine, type ScanEngine } from '../engine/engine.js';
import { scanBatchBinding } from '../engine/batch-native.js';
import { answerReserveMs } from '../rtp/pipeline.js';
import { errorMessage } from '../shared/errors.js';
import { DefinitionsService, defaultExtraKeysDir, type DefinitionsChanged } from './service.js';
import { bundledTrustedKeysDir } from '../shared/paths.js';
import type { UpdateSettings } from './update-types.js';
import { DEFAULT_HTTP_SETTINGS } from './update-http.js';
import { defaultLoadSet } from './generations-load.js';
import { scannerYaraCompiler } from '../scanner/yara-rules.js';
import { scannerLink, type ContentStats } from '../scanner/link.js';
import { StageHooks } from '../daemon/stage-hooks.js';

/** What the definitions stage reads later than it starts: the engine is built on its first set. */
export interface DefinitionsLate {
  engine(): ScanEngine | undefined;
  scans(): ScanManager | undefined;
}

const UPDATE_SETTINGS: SettingId[] = [
  'offlineDefinitionUpdate',
  'offlineDefinitionUpdateUrl',
  'offlineDefinitionUpdateVerifySig',
  'automaticDefinitionUpdateEnabled',
  'definitionUpdatesInterval',
  'proxy',
  'wdavdaemon.definitionsTrustedKeysDir',
];

export const ENGINE_VERSION = '1.0.0';

function updateSettings(s: Settings): Partial<UpdateSettings> {
  return {
    url: s.offlineDefinitionUpdate ? s.offlineDefinitionUpdateUrl : null,
    verifySignature: s.offlineDefinitionUpdateVerifySig,
    trustedKeyDirs: [bundledTrustedKeysDir(), s.wdavdaemon.definitionsTrustedKeysDir ?? defaultExtraKeysDir()],
    http: { ...DEFAULT_HTTP_SETTINGS, proxy: s.proxy },
  };
}

function scheduleFor(s: Settings): number | null {
  if (!s.automaticDefinitionUpdateEnabled || !s.offlineDefinitionUpdate || !s.offlineDefinitionUpdateUrl) return null;
  return s.definitionUpdatesInterval * 1000;
}

function minutesAgo(d: Date | null): number | null {
  return d ? Math.max(0, Math.floor((Date.now() - d.getTime()) / 60_000)) : null;
}

function registerHealth(hooks: StageHooks, svc: DefinitionsService, late: DefinitionsLate): void {
  hooks.health('definitions', () => {
    const st = svc.status();
    const engine = late.engine();
    const report = st.report;
    return {
      fields: {
        engine_version: ENGINE_VERSION,
        definitions_updated: st.definitions_updated ? st.definitions_updated.toISOString() : null,
        definitions_updated_minutes_ago: minutesAgo(st.definitions_updated),
        definitions_version: st.definitions_version ?? 'builtin',
        definitions_status: st.definitions_status,
      },
      issues: [...st.issues, ...(st.definitions_status === 'failed' && st.definitions_update_fail_reason ? [`definitions update failed: ${st.definitions_update_fail_reason}`] : [])],
      settingOf: {},
      details: {
        definitions: {
          definitions_version: st.definitions_version ?? 'builtin',
          definitions_updated: st.definitions_updated ? st.definitions_updated.toISOString() : null,
          definitions_status: st.definitions_status,
          definitions_generation: st.generation,
          definitions_previous_generation: st.previous_generation,
          definitions_update_source_uri: st.definitions_update_source_uri ?? '',
          definitions_update_fail_reason: st.definitions_update_fail_reason ?? '',
          definitions_last_update_attempt: st.last_update_attempt ? st.last_update_attempt.toISOString() : null,
          offline_definition_url_configured: st.offline_definition_url_configured,
          body_matcher: report?.bodyMatcher ?? engine?.bodyMatcher ?? null,
          body_matcher_reason: report?.bodyMatcherReason ?? '',
          signature_counts: report ? { ...report.counts } : {},
          pattern_database: report?.patternDb ? { ...report.patternDb } : {},
          formats: report ? (report.formats as unknown as Record<string, unknown>) : {},
          files: report ? report.files.map((f) => ({ ...f }) as unknown as Record<string, unknown>) : [],
          malformed_lines: report?.malformed ?? [],
          load_problems: report?.problems ?? [],
          load_ms: report?.loadMs ?? null,
        },
      },
    };
  });
}

export async function startDefinitions(s: Core, scanner: Scanner, late: DefinitionsLate): Promise<Started<DefinitionsService>> {
  const logger = s.logs.child('definitions');
  const settings = s.config.settings;
  const svc = new DefinitionsService({
    stateDir: s.options.stateDir,
    customDir: s.options.customDefinitions,
    native: s.native,
    // YARA rules are compiled and scanned in the scanner process, never in the daemon.
    load: defaultLoadSet(s.native, scannerYaraCompiler(scanner.process, scannerLink(s.native))),
    // Until the engine exists the first set is only held; afterwards every switch goes
    // through the engine so scans in flight finish on the set they started with.
    apply: async (set, switched) => {
      const engine = late.engine();
      if (engine) await engine.setDefinitions(set, { switched });
      else switched();
      // Loading frees far more than it keeps (parsed text, worker tables): give it back.
      // Also at start-up: the first set comes through here too.
      scanBatchBinding(s.native)?.releaseMemory();
    },
    update: updateSettings(settings),
    logger,
  });
  await svc.start();
  const hooks = new StageHooks(s);
  registerHealth(hooks, svc, late);
  svc.schedule(scheduleFor(settings));

  const onConfig = () => {
    const now = s.config.settings;
    svc.configure(updateSettings(now));
    svc.schedule(scheduleFor(now));
    logger.info({ url: now.offlineDefinitionUpdateUrl, automatic: scheduleFor(now) !== null }, 'definitions update settings changed');
  };
  hooks.onSettings(onConfig, UPDATE_SETTINGS);

  const onChanged = (ev: DefinitionsChanged) => {
    if (ev.reason !== 'update' || !s.config.settings.scanAfterDefinitionUpdate) return;
    const scans = late.scans();
    if (!scans) return;
    try {
      const job = scans.start({ type: 'quick', uid: null });
      logger.info({ scanId: (job as unknown as { id?: string }).id, version: ev.version }, 'quick scan started after the definitions update (scanAfterDefinitionUpdate)');
    } catch (e) {
      logger.warn({ err: errorMessage(e) }, 'could not start the scan that follows a definitions update');
    }
  };
  hooks.on(svc, 'changed', onChanged).diagnostic('definitions.json', () => {
    const st = svc.status();
    return { ...st, report: st.report };
  });
  return {
    service: svc,
    async stop() {
      hooks.remove();
      await svc.close();
    },
    async reload() {
      const r = await svc.reloadCustom();
      if (r.issues.length) logger.warn({ issues: r.issues }, 'custom definitions reloaded with problems');
    },
  };
}

/**
 * `mdatp health --details features`: the scan time limits in force, the files that reached them
 * (scan_timeout, by origin) and where YARA runs (the scanner process).
 */
function registerEngineHealth(s: Core, hooks: StageHooks, engine: ScanEngine, scanner: Scanner): void {
  hooks.health('engine', () => {
    const w = s.config.settings.wdavdaemon;
    const t = engine.stats().scanTimeouts;
    const planError = engine.remotePlanError;
    return {
      ...(planError ? { issues: [planError] } : {}),
      details: {
        features: {
          scan_time_limits: { on_demand_ms: w.scanTimeLimitMs, real_time_ms: Math.min(w.scanTimeLimitMs, w.rtpTimeoutMs - answerReserveMs(w.rtpTimeoutMs)) },
          scan_timeouts: { total: t.real_time + t.on_write + t.on_demand, ...t },
          // YARA runs in the scanner process (`scanner` in these details).
          yara_scanner: { library: `libyara ${s.native.features.yaraVersion ?? ''}`.trim(), process: 'wdav-scanner' },
          // Native read passes (digests, Vectorscan, archive proofs) sent to the scanner process.
          content_pass: contentPass(scanner.process.contentStats()),
        },
      },
      settingOf: {},
    };
  });
}

function contentPass(c: ContentStats): Record<string, string | number> {
  return { process: 'wdav-scanner', batches: c.batches, files: c.files, failures: c.failures, attaches: c.attaches, in_flight: c.inFlight };
}

export async function startEngine(s: Core, definitions: DefinitionsService, scanner: Scanner): Promise<Started<ScanEngine>> {
  // Native read passes (digests, Vectorscan, archive proofs) run in the scanner process, which
  // holds each set's plan before a scan can use it (engine.setDefinitions).
  const engine = createEngine({ definitions: definitions.current(), native: s.native, scanTimeLimitMs: s.config.settings.wdavdaemon.scanTimeLimitMs, remotePlans: scanner.process });
  await engine.placePlan();
  const hooks = new StageHooks(s);
  registerEngineHealth(s, hooks, engine, scanner);
  s.logs.child('engine').info({ bodyMatcher: engine.bodyMatcher, generation: engine.generation, yara: s.native.features.yaraVersion ?? null }, 'engine ready');
  // Scans still running finish on their set; the set is freed at process exit.
  return { service: engine, stop: () => hooks.remove() };
}

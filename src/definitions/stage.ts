// src/definitions/stage.ts — the 'definitions' and 'engine' daemon stages (after 'store',
// before 'api'): load the current definitions generation (plus the custom drop-in overlay),
// create the engine on it, keep update settings and the automatic update timer in step with
// the configuration, and report definitions health. After every switch the service emits
// 'changed'; real-time protection listens to drop its verdict caches and kernel marks, and
// with scanAfterDefinitionUpdate a quick scan follows an update.
// Owns: wiring only. Must not: parse definitions or scan.
import type { Stage } from '../daemon/lifecycle.js';
import type { Services } from '../daemon/services.js';
import type { SettingId } from '../config/managed-keys.js';
import type { Settings } from '../config/settings.js';
import { createEngine, type ScanEngine } from '../engine/engine.js';
import { scanBatchBinding } from '../engine/batch-native.js';
import { yaraBinding } from '../engine/yara/binding.js';
import { answerReserveMs } from '../rtp/pipeline.js';
import { errorMessage } from '../shared/errors.js';
import { DefinitionsService, defaultExtraKeysDir, type DefinitionsChanged } from './service.js';
import { bundledTrustedKeysDir } from '../shared/paths.js';
import type { UpdateSettings } from './update-types.js';
import { DEFAULT_HTTP_SETTINGS } from './update-http.js';
import { defaultLoadSet } from './generations-load.js';
import { scannerYaraCompiler } from '../scanner/yara-rules.js';
import { scannerLink } from '../scanner/link.js';

declare module '../daemon/services.js' {
  interface Services {
    /** Set by the 'definitions' stage. */
    definitions?: DefinitionsService;
    /** Set by the 'engine' stage. */
    engine?: ScanEngine;
  }
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

function registerHealth(s: Services, svc: DefinitionsService): void {
  s.health.register('definitions', () => {
    const st = svc.status();
    const engine = s.engine;
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

export const definitionsStage: Stage = {
  name: 'definitions',
  async start(s) {
    const logger = s.logs.child('definitions');
    const settings = s.config.settings;
    const svc = new DefinitionsService({
      stateDir: s.options.stateDir,
      customDir: s.options.customDefinitions,
      native: s.native,
      // YARA rules are compiled and scanned in the scanner process, never in the daemon.
      ...(s.scanner ? { load: defaultLoadSet(s.native, scannerYaraCompiler(s.scanner, scannerLink(s.native))) } : {}),
      // Until the engine exists the first set is only held; afterwards every switch goes
      // through the engine so scans in flight finish on the set they started with.
      apply: async (set) => {
        if (s.engine) await s.engine.setDefinitions(set);
        // Loading frees far more than it keeps (parsed text, worker tables): give it back.
        // Also at start-up: the first set comes through here too.
        scanBatchBinding(s.native)?.releaseMemory();
      },
      update: updateSettings(settings),
      logger,
    });
    await svc.start();
    s.definitions = svc;
    registerHealth(s, svc);
    svc.schedule(scheduleFor(settings));

    s.config.on('change', (changed: SettingId[]) => {
      if (!changed.some((c) => UPDATE_SETTINGS.includes(c))) return;
      const now = s.config.settings;
      svc.configure(updateSettings(now));
      svc.schedule(scheduleFor(now));
      logger.info({ url: now.offlineDefinitionUpdateUrl, automatic: scheduleFor(now) !== null }, 'definitions update settings changed');
    });

    svc.on('changed', (ev: DefinitionsChanged) => {
      if (ev.reason !== 'update' || !s.config.settings.scanAfterDefinitionUpdate) return;
      const scans = s.scans;
      if (!scans) return;
      try {
        const job = scans.start({ type: 'quick', uid: null });
        logger.info({ scanId: (job as unknown as { id?: string }).id, version: ev.version }, 'quick scan started after the definitions update (scanAfterDefinitionUpdate)');
      } catch (e) {
        logger.warn({ err: errorMessage(e) }, 'could not start the scan that follows a definitions update');
      }
    });

    s.diagnostics.set('definitions.json', () => {
      const st = svc.status();
      return { ...st, report: st.report };
    });
  },
  async stop(s) {
    await s.definitions?.close();
  },
  async reload(s) {
    const r = await s.definitions?.reloadCustom();
    if (r && r.issues.length) s.logs.child('definitions').warn({ issues: r.issues }, 'custom definitions reloaded with problems');
  },
};

/**
 * `mdatp health --details features`: the scan time limits in force, the files that reached them
 * (scan_timeout, by origin) and the YARA threads' queue, measured.
 */
function registerEngineHealth(s: Services, engine: ScanEngine): void {
  const yara = yaraBinding(s.native);
  s.health.register('engine', () => {
    const w = s.config.settings.wdavdaemon;
    const t = engine.stats().scanTimeouts;
    const pool = yara?.yaraStats();
    return {
      details: {
        features: {
          scan_time_limits: { on_demand_ms: w.scanTimeLimitMs, real_time_ms: Math.min(w.scanTimeLimitMs, w.rtpTimeoutMs - answerReserveMs(w.rtpTimeoutMs)) },
          scan_timeouts: { total: t.real_time + t.on_write + t.on_demand, ...t },
          // With the scanner process, YARA runs there (`scanner` in these details); the addon's
          // in-process YARA threads then stay idle.
          yara_scanner: s.scanner
            ? { library: `libyara ${s.native.features.yaraVersion ?? ''}`.trim(), process: 'wdav-scanner' }
            : pool
              ? { library: `libyara ${s.native.features.yaraVersion ?? ''}`.trim(), ...pool, runningJobs: pool.runningJobs.length }
              : {},
        },
      },
      settingOf: {},
    };
  });
}

export const engineStage: Stage = {
  name: 'engine',
  start(s) {
    const svc = s.definitions;
    const engine = createEngine({ definitions: svc?.current(), native: s.native, scanTimeLimitMs: s.config.settings.wdavdaemon.scanTimeLimitMs });
    s.engine = engine;
    registerEngineHealth(s, engine);
    s.logs.child('engine').info({ bodyMatcher: engine.bodyMatcher, generation: engine.generation, yara: s.native.features.yaraVersion ?? null }, 'engine ready');
  },
  async stop(s) {
    // Scans still running finish on their set; the set is freed at process exit.
    s.engine = undefined;
  },
};

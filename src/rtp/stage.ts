// src/rtp/stage.ts — the 'rtp' daemon stage, LAST in startup order, so FIRST at shutdown: the
// fanotify group closes before anything else stops (the kernel then allows whatever is
// pending). Builds the pipeline on the shared queue, engine and threat service, selects the
// backend (logged with its reason), wires configuration and definitions changes, registers
// health, a diagnostic section and — only with WDAV_TEST_HOOKS=1 — the test stall hook.
// Owns: wiring only.
import path from 'node:path';
import type { SettingId } from '../config/managed-keys.js';
import type { Started } from '../daemon/lifecycle.js';
import type { Core } from '../daemon/services.js';
import type { ScanEngine } from '../engine/engine.js';
import type { ThreatService } from '../threats/service.js';
import type { DefinitionsService } from '../definitions/service.js';
import { RtpPipeline } from './pipeline.js';
import { ThreatEvents } from '../threats/events.js';
import { RtpRuntime } from './runtime.js';
import { selectBackend } from './select.js';
import { installTestHooks } from './test-hooks.js';
import { StageHooks } from '../daemon/stage-hooks.js';

export interface RtpDeps {
  engine: ScanEngine;
  threats: ThreatService;
  definitions: DefinitionsService;
}

export async function startRtp(s: Core, d: RtpDeps): Promise<Started<RtpRuntime>> {
  const logger = s.logs.child('rtp');
  const events = new ThreatEvents(s.logs.child('threats'));
  const pipeline = new RtpPipeline({ config: s.config, queue: s.queue, engine: () => d.engine, threats: () => d.threats, logger, events });
  const selection = selectBackend({
    choice: s.options.rtpBackend,
    paths: s.options.rtpPaths,
    pipeline,
    queueCapacity: s.queue.capacity,
    neverWatch: [s.options.stateDir, path.dirname(s.options.socket)],
    binding: s.native,
  });
  const log = selection.issue ? logger.error.bind(logger) : logger.info.bind(logger);
  log({ requested: s.options.rtpBackend, subsystem: selection.backend?.subsystem ?? 'unavailable', reason: selection.reason, paths: s.options.rtpPaths }, `real-time protection backend: ${selection.backend?.subsystem ?? 'none'}`);
  const rt = new RtpRuntime(pipeline, selection, s.queue, logger);
  const uninstallTestHooks = installTestHooks(logger);
  const hooks = new StageHooks(s)
    .onSettings((changed: SettingId[]) => rt.onSettingsChanged(changed))
    .on(d.definitions, 'changed', () => rt.onDefinitionsChanged())
    .add(() => uninstallTestHooks?.())
    .health('rtp', () => rt.health())
    .diagnostic('real-time-protection.json', () => ({
      health: rt.health(),
      statistics: rt.statistics({ sort: true, top: 100 }),
      hot_files: rt.hotSources('files', 60, 50),
      hot_executables: rt.hotSources('executables', 60, 50),
    }));
  try {
    await rt.start();
  } catch (e) {
    hooks.remove();
    await rt.stop();
    throw e;
  }
  return {
    service: rt,
    async stop() {
      hooks.remove();
      await rt.stop();
    },
  };
}

// src/rtp/stage.ts — the 'rtp' daemon stage, LAST in startup order, so FIRST at shutdown: the
// fanotify group closes before anything else stops (the kernel then allows whatever is
// pending). Builds the pipeline on the shared queue, engine and threat service, selects the
// backend (logged with its reason), wires configuration and definitions changes, registers
// health, a diagnostic section and — only with WDAV_TEST_HOOKS=1 — the test stall hook.
// Owns: wiring only.
import path from 'node:path';
import type { SettingId } from '../config/managed-keys.js';
import type { Stage } from '../daemon/lifecycle.js';
import { RtpPipeline } from './pipeline.js';
import { ThreatEvents } from '../threats/events.js';
import { RtpRuntime } from './runtime.js';
import { selectBackend } from './select.js';
import { installTestHooks } from './test-hooks.js';

declare module '../daemon/services.js' {
  interface Services {
    /** Set by the 'rtp' stage. */
    rtp?: RtpRuntime;
  }
}

let unwire: (() => void) | null = null;

export const rtpStage: Stage = {
  name: 'rtp',
  async start(s) {
    const logger = s.logs.child('rtp');
    const events = new ThreatEvents(s.logs.child('threats'));
    const pipeline = new RtpPipeline({ config: s.config, queue: s.queue, engine: () => s.engine, threats: () => s.threats, logger, events });
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
    const onConfig = (changed: SettingId[]) => rt.onSettingsChanged(changed);
    const onDefinitions = () => rt.onDefinitionsChanged();
    s.config.on('change', onConfig);
    s.definitions?.on('changed', onDefinitions);
    const uninstallHooks = installTestHooks(logger);
    unwire = () => {
      s.config.off('change', onConfig);
      s.definitions?.off('changed', onDefinitions);
      uninstallHooks?.();
    };
    s.rtp = rt;
    s.health.register('rtp', () => rt.health());
    s.diagnostics.set('real-time-protection.json', () => ({
      health: rt.health(),
      statistics: rt.statistics({ sort: true, top: 100 }),
      hot_files: rt.hotSources('files', 60, 50),
      hot_executables: rt.hotSources('executables', 60, 50),
    }));
    await rt.start();
  },
  async stop(s) {
    unwire?.();
    unwire = null;
    await s.rtp?.stop();
  },
};

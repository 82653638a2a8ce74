// src/daemon/core-health.ts — the health fields and diagnostic sections the daemon core owns:
// version, licence, log level, machine GUID, enforcement level, configuration problems,
// a database recreated at startup.
import type { Core, Store } from './services.js';
import type { StageHooks } from './stage-hooks.js';
import { appVersion } from '../shared/version.js';
import { integrityCheck } from '../store/db.js';
import { MAX_MANAGED_SIZE } from '../config/managed.js';
import { readTrusted } from '../shared/trust.js';

export function registerCoreHealth(hooks: StageHooks, s: Core, store: Store, dbRecreatedFrom: string | null): void {
  const machineGuid = store.meta.machineGuid();
  hooks.health('core', () => {
    const st = s.config.settings;
    const issues = [...s.config.healthIssues()];
    if (dbRecreatedFrom) issues.push(`the database was corrupt and was recreated at startup; the damaged file is ${dbRecreatedFrom}`);
    return {
      fields: {
        licensed: true,
        app_version: appVersion(),
        log_level: s.logs.level,
        machine_guid: machineGuid,
        real_time_protection_enabled: st.enforcementLevel === 'real_time',
        passive_mode_enabled: st.enforcementLevel === 'passive',
        enforcement_level: st.enforcementLevel,
        automatic_definition_update_enabled: st.automaticDefinitionUpdateEnabled,
      },
      issues,
      settingOf: {
        real_time_protection_enabled: 'enforcementLevel',
        passive_mode_enabled: 'enforcementLevel',
        enforcement_level: 'enforcementLevel',
        automatic_definition_update_enabled: 'automaticDefinitionUpdateEnabled',
        log_level: 'logLevel',
      },
    };
  });

  hooks.diagnostic('versions.json', () => ({
    app_version: appVersion(),
    node: process.versions,
    platform: `${process.platform} ${process.arch}`,
    native_features: s.native.features,
    started_at: s.startedAt.toISOString(),
    pid: process.pid,
    uid: process.getuid?.(),
  }));
  hooks.diagnostic('health.json', () => {
    const out: Record<string, unknown> = { summary: s.health.report() };
    for (const g of s.health.detailGroups()) out[g] = s.health.report(g);
    return out;
  });
  hooks.diagnostic('config-effective.json', () => ({ settings: s.config.settings, managed: [...s.config.managedIds()], status: s.config.status() }));
  hooks.diagnostic('config-local.json', () => Object.fromEntries(store.settings.all()));
  hooks.diagnostic('config-managed-file.json', () => {
    const f = s.config.status().managedFile;
    if (!f) return { file: null };
    try {
      // Under the same rule and bound as the daemon's own read: never a FIFO, a device or 14 GB.
      return { file: f, content: readTrusted(f, MAX_MANAGED_SIZE).toString('utf8') };
    } catch (e) {
      return { file: f, error: (e as Error).message };
    }
  });
  hooks.diagnostic('options.json', () => s.options);
  hooks.diagnostic('database-check.json', () => ({ file: store.file, integrity_check: integrityCheck(store.db) }));
}

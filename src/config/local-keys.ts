// src/config/local-keys.ts — the settings an administrator may change locally with
// `mdatp config NAME --value V` (and `mdatp log level set`): the CLI name, the setting it
// writes and how the value is parsed. Owns this mapping. Must not: persist anything.
import type { SettingId } from './managed-keys.js';
import type { EnforcementLevel } from './settings.js';
import { LOG_LEVELS, type LogLevel } from '../shared/logger.js';
import { enabledDisabled, int, oneOf, type Parser } from './parse.js';

export interface LocalKey {
  setting: SettingId;
  parse: Parser<unknown>;
}

const onOff = oneOf('enabled', 'disabled');

export const LOCAL_KEYS: Record<string, LocalKey> = {
  'real-time-protection': {
    setting: 'enforcementLevel',
    parse: (v): EnforcementLevel => (onOff(v) === 'enabled' ? 'real_time' : 'on_demand'),
  },
  'passive-mode': {
    setting: 'enforcementLevel',
    parse: (v): EnforcementLevel => (onOff(v) === 'enabled' ? 'passive' : 'real_time'),
  },
  'scan-archives': { setting: 'scanArchives', parse: (v) => enabledDisabled(onOff(v)) },
  'maximum-on-demand-scan-threads': { setting: 'maximumOnDemandScanThreads', parse: int(1, 64) },
  'scan-after-definition-update': { setting: 'scanAfterDefinitionUpdate', parse: (v) => enabledDisabled(onOff(v)) },
  'enable-file-hash-computation': { setting: 'enableFileHashComputation', parse: (v) => enabledDisabled(onOff(v)) },
  'log-level': { setting: 'logLevel', parse: (v): LogLevel => oneOf<LogLevel>(...LOG_LEVELS)(v) },
};

export function isLocalKey(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LOCAL_KEYS, name);
}

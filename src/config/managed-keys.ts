// src/config/managed-keys.ts — the table of mdatp_managed.json keys: where each lives in MDE's
// schema, which setting it feeds, and how its value is parsed. Keys MDE defines that we do not
// implement are listed so they are reported as "ignored (not implemented)" rather than unknown.
// Owns the managed schema. Must not: read files.
import type { Settings, ThreatAction } from './settings.js';
import { THREAT_TYPES, type ThreatType } from '../engine/types.js';
import { LOG_LEVELS, type LogLevel } from '../shared/logger.js';
import { parseManagedExclusion } from './exclusions.js';
import { ParseError, bool, describe, enabledDisabled, int, nullableUrl, oneOf, proxyUrl, stringArray, str, type Parser } from './parse.js';

/** A setting id is the name of a top-level Settings field or `wdavdaemon.<field>`. */
export type SettingId = Exclude<keyof Settings, 'wdavdaemon'> | `wdavdaemon.${keyof Settings['wdavdaemon']}`;

export interface ManagedKey {
  /** Dotted path in mdatp_managed.json. */
  path: string;
  setting: SettingId;
  parse: Parser<unknown>;
  /** Legacy MDE keys translate into the current setting. */
  legacy?: boolean;
}

const threatTypeSettings: Parser<Partial<Record<ThreatType, ThreatAction>>> = (v) => {
  if (!Array.isArray(v)) throw new ParseError(`expected an array of {"key", "value"} objects, got ${describe(v)}`);
  const out: Partial<Record<ThreatType, ThreatAction>> = {};
  v.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) throw new ParseError(`item ${i}: expected an object`);
    const { key, value } = item as { key?: unknown; value?: unknown };
    if (key !== 'potentially_unwanted_application' && key !== 'archive_bomb') {
      throw new ParseError(`item ${i}: key must be "potentially_unwanted_application" or "archive_bomb", got ${describe(key)}`);
    }
    out[key] = oneOf<ThreatAction>('audit', 'block', 'off')(value);
  });
  return out;
};

const exclusions: Parser<unknown> = (v) => {
  if (!Array.isArray(v)) throw new ParseError(`expected an array, got ${describe(v)}`);
  return v.map((x, i) => parseManagedExclusion(x, i));
};

const octalMode: Parser<string> = (v) => {
  const s = str(v);
  if (!/^0?[0-7]{3}$/.test(s)) throw new ParseError(`expected an octal mode like "0660", got ${describe(v)}`);
  return s.padStart(4, '0');
};

const ONE_GIB = 1024 * 1024 * 1024;

export const MANAGED_KEYS: ManagedKey[] = [
  { path: 'antivirusEngine.enforcementLevel', setting: 'enforcementLevel', parse: oneOf('real_time', 'on_demand', 'passive') },
  { path: 'antivirusEngine.exclusions', setting: 'exclusions', parse: exclusions },
  { path: 'antivirusEngine.exclusionsMergePolicy', setting: 'exclusionsMergePolicy', parse: oneOf('merge', 'admin_only') },
  { path: 'antivirusEngine.allowedThreats', setting: 'allowedThreats', parse: stringArray() },
  {
    path: 'antivirusEngine.disallowedThreatActions',
    setting: 'disallowedThreatActions',
    parse: (v) => stringArray()(v).map((x) => oneOf('allow', 'restore')(x)),
  },
  { path: 'antivirusEngine.threatTypeSettings', setting: 'threatTypeSettings', parse: threatTypeSettings },
  { path: 'antivirusEngine.threatTypeSettingsMergePolicy', setting: 'threatTypeSettingsMergePolicy', parse: oneOf('merge', 'admin_only') },
  { path: 'antivirusEngine.scanArchives', setting: 'scanArchives', parse: bool },
  { path: 'antivirusEngine.maximumOnDemandScanThreads', setting: 'maximumOnDemandScanThreads', parse: int(1, 64) },
  { path: 'antivirusEngine.scanHistoryMaximumItems', setting: 'scanHistoryMaximumItems', parse: int(1, 1_000_000) },
  { path: 'antivirusEngine.scanResultsRetentionDays', setting: 'scanResultsRetentionDays', parse: int(1, 3650) },
  { path: 'antivirusEngine.unmonitoredFilesystems', setting: 'unmonitoredFilesystems', parse: stringArray({ splitCommas: true }) },
  { path: 'antivirusEngine.nonExecMountPolicy', setting: 'nonExecMountPolicy', parse: oneOf('unmute', 'mute') },
  { path: 'antivirusEngine.enableFileHashComputation', setting: 'enableFileHashComputation', parse: bool },
  { path: 'antivirusEngine.scanAfterDefinitionUpdate', setting: 'scanAfterDefinitionUpdate', parse: bool },
  { path: 'antivirusEngine.offlineDefinitionUpdate', setting: 'offlineDefinitionUpdate', parse: enabledDisabled },
  { path: 'antivirusEngine.offlineDefinitionUpdateUrl', setting: 'offlineDefinitionUpdateUrl', parse: nullableUrl },
  { path: 'antivirusEngine.offlineDefinitionUpdateVerifySig', setting: 'offlineDefinitionUpdateVerifySig', parse: enabledDisabled, legacy: true },
  { path: 'features.offlineDefinitionUpdateVerifySig', setting: 'offlineDefinitionUpdateVerifySig', parse: enabledDisabled },
  { path: 'cloudService.automaticDefinitionUpdateEnabled', setting: 'automaticDefinitionUpdateEnabled', parse: bool },
  { path: 'cloudService.definitionUpdatesInterval', setting: 'definitionUpdatesInterval', parse: int(60, 7 * 24 * 3600) },
  { path: 'cloudService.proxy', setting: 'proxy', parse: proxyUrl },
  // Older MDE releases configured real-time protection with two booleans.
  {
    path: 'antivirusEngine.enableRealTimeProtection',
    setting: 'enforcementLevel',
    parse: (v) => (bool(v) ? 'real_time' : 'on_demand'),
    legacy: true,
  },
  { path: 'antivirusEngine.passiveMode', setting: 'enforcementLevel', parse: (v) => (bool(v) ? 'passive' : 'real_time'), legacy: true },
  { path: 'wdavdaemon.logLevel', setting: 'logLevel', parse: (v) => oneOf<LogLevel>(...LOG_LEVELS)(v) },
  { path: 'wdavdaemon.rtpDefaultResponse', setting: 'wdavdaemon.rtpDefaultResponse', parse: oneOf('allow', 'deny') },
  { path: 'wdavdaemon.rtpTimeoutMs', setting: 'wdavdaemon.rtpTimeoutMs', parse: int(50, 60_000) },
  { path: 'wdavdaemon.rtpMaxFileSize', setting: 'wdavdaemon.rtpMaxFileSize', parse: int(0, 64 * ONE_GIB) },
  { path: 'wdavdaemon.onDemandMaxFileSize', setting: 'wdavdaemon.onDemandMaxFileSize', parse: int(0, 1024 * ONE_GIB) },
  { path: 'wdavdaemon.scanQueueCapacity', setting: 'wdavdaemon.scanQueueCapacity', parse: int(16, 1_000_000) },
  { path: 'wdavdaemon.socketMode', setting: 'wdavdaemon.socketMode', parse: octalMode },
  { path: 'wdavdaemon.socketGroup', setting: 'wdavdaemon.socketGroup', parse: str },
  {
    path: 'wdavdaemon.definitionsTrustedKeysDir',
    setting: 'wdavdaemon.definitionsTrustedKeysDir',
    parse: (v) => {
      if (v === null) return null;
      const dir = str(v);
      if (!dir.startsWith('/')) throw new ParseError(`expected an absolute directory, got ${describe(v)}`);
      return dir;
    },
  },
  { path: 'wdavdaemon.chokidarMaxDirectories', setting: 'wdavdaemon.chokidarMaxDirectories', parse: int(1, 10_000_000) },
  { path: 'wdavdaemon.apiMaxConnections', setting: 'wdavdaemon.apiMaxConnections', parse: int(1, 4096) },
  { path: 'wdavdaemon.apiMaxConnectionsPerUid', setting: 'wdavdaemon.apiMaxConnectionsPerUid', parse: int(1, 4096) },
  { path: 'wdavdaemon.apiAdminConnections', setting: 'wdavdaemon.apiAdminConnections', parse: int(1, 1024) },
  { path: 'wdavdaemon.scanTimeLimitMs', setting: 'wdavdaemon.scanTimeLimitMs', parse: int(100, 600_000) },
];

/** Known MDE sections/keys we accept and ignore (reported as "not implemented"). */
export const MDE_IGNORED_PREFIXES = [
  'antivirusEngine.behaviorMonitoring',
  'antivirusEngine.scanFileModifyPermissions',
  'antivirusEngine.scanFileModifyOwnership',
  'antivirusEngine.scanNetworkSocketEvent',
  'antivirusEngine.enableDynamicScanning',
  'antivirusEngine.scanArchivesOnDemand',
  'antivirusEngine.remediation',
  'antivirusEngine.threatTypeSettings.',
  'cloudService.enabled',
  'cloudService.diagnosticLevel',
  'cloudService.automaticSampleSubmissionConsent',
  'cloudService.cloudBlockLevel',
  'cloudService.enableCloudBlockLevel',
  'cloudService.proxyPacUrl',
  'edr',
  'networkProtection',
  'tamperProtection',
  'deviceControl',
  'userInterface',
  'exclusionSettings',
  'features',
  'scheduledScan',
  'securityIntelligence',
];

export function isKnownIgnored(path: string): boolean {
  return MDE_IGNORED_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('.') ? p : `${p}.`));
}

/** Applies a parsed value to a settings object (mutates it). */
export function applySetting(settings: Settings, id: SettingId, value: unknown): void {
  if (id.startsWith('wdavdaemon.')) {
    (settings.wdavdaemon as unknown as Record<string, unknown>)[id.slice('wdavdaemon.'.length)] = value;
  } else {
    (settings as unknown as Record<string, unknown>)[id] = value;
  }
}

export function readSetting(settings: Settings, id: SettingId): unknown {
  if (id.startsWith('wdavdaemon.')) return (settings.wdavdaemon as unknown as Record<string, unknown>)[id.slice('wdavdaemon.'.length)];
  return (settings as unknown as Record<string, unknown>)[id];
}

export { THREAT_TYPES };

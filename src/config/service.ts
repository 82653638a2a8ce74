// src/config/service.ts — the effective configuration: built-in defaults ← local settings
// (SQLite, changed with mdatp) ← managed file (mdatp_managed.json, watched and hot-reloaded).
// A managed file that cannot be read or parsed keeps the last good managed values and becomes
// a health issue; so does one that is not trusted (ARCHITECTURE §3.9: the file and its
// directory owned by root or the daemon's user and not writable by group or others, read with
// a bound through src/shared/trust.ts). Emits 'change' with the ids that changed. Owns merging
// and the watch.
// Must not: act on settings (components subscribe to 'change').
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Logger } from '../shared/logger.js';
import { WdavError } from '../shared/errors.js';
import { UntrustedPathError, readTrusted } from '../shared/trust.js';
import type { ExclusionsStore } from '../store/exclusions.js';
import type { SettingsStore } from '../store/settings.js';
import { exclusionKey } from './exclusions.js';
import { MAX_MANAGED_SIZE, parseManagedConfig, ManagedConfigError, type IgnoredKey } from './managed.js';
import { MANAGED_KEYS, applySetting, readSetting, type SettingId } from './managed-keys.js';
import { defaultSettings, type Exclusion, type Settings } from './settings.js';
import { ParseError } from './parse.js';

export interface ExclusionEntry {
  exclusion: Exclusion;
  managed: boolean;
}

export interface ConfigStatus {
  managedFile: string | null;
  managedPresent: boolean;
  managedLoadedAt: string | null;
  /** `untrusted`: refused for who could write it, not for its content. */
  lastError: { file: string; key: string | null; reason: string; at: string; untrusted?: boolean } | null;
  ignoredKeys: IgnoredKey[];
}

export interface ConfigServiceOptions {
  managedFile: string | null;
  logger: Logger<'verbose'>;
  pollIntervalMs?: number;
}

/** Where local settings live; attached once the store is open (startup order: config → store). */
export interface LocalSources {
  settings: Pick<SettingsStore, 'all' | 'set'>;
  exclusions: Pick<ExclusionsStore, 'list' | 'add' | 'remove'>;
}

const NO_LOCAL: LocalSources = {
  settings: { all: () => new Map(), set: () => { throw new WdavError('WDAV_ERR_UNAVAILABLE', 'local settings are not available yet'); } },
  exclusions: { list: () => [], add: () => false, remove: () => false },
};

const ALL_IDS = new Set<string>(MANAGED_KEYS.map((k) => k.setting));

export class ConfigService extends EventEmitter {
  private managed = new Map<SettingId, unknown>();
  private managedPresent = false;
  private managedLoadedAt: Date | null = null;
  private ignored: IgnoredKey[] = [];
  private lastError: ConfigStatus['lastError'] = null;
  private current: Settings = defaultSettings();
  private lastText: string | null = null;
  private watching = false;
  private local: LocalSources = NO_LOCAL;

  constructor(private readonly opts: ConfigServiceOptions) {
    super();
  }

  /** Reads the managed file (first startup stage). */
  load(): void {
    this.reloadManaged();
    this.recompute();
  }

  /** Brings in local settings once the store is open, then watches the managed file. */
  start(local: LocalSources): void {
    this.local = local;
    this.recompute();
    const file = this.opts.managedFile;
    if (file) {
      // Stat polling survives the file being created, replaced by rename, or deleted.
      fs.watchFile(file, { interval: this.opts.pollIntervalMs ?? 500, persistent: false }, () => {
        this.reloadManaged();
        this.recompute();
      });
      this.watching = true;
    }
  }

  stop(): void {
    if (this.watching && this.opts.managedFile) fs.unwatchFile(this.opts.managedFile);
    this.watching = false;
  }

  /** Re-reads the managed file (SIGHUP and the watch). Keeps the last good values on error. */
  reloadManaged(): void {
    const file = this.opts.managedFile;
    if (!file) return;
    let text: string;
    try {
      text = readTrusted(file, MAX_MANAGED_SIZE).toString('utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (e instanceof UntrustedPathError) {
        this.fail(new ManagedConfigError(file, null, e.message), true);
        return;
      }
      if (err.code === 'WDAV_ERR_FILE_TOO_LARGE') {
        this.fail(new ManagedConfigError(file, null, `file is larger than ${MAX_MANAGED_SIZE} bytes`));
        return;
      }
      if (err.code === 'ENOENT') {
        if (this.managedPresent) this.opts.logger.info({ file }, 'managed configuration file removed: managed settings no longer apply');
        this.managed = new Map();
        this.managedPresent = false;
        this.ignored = [];
        this.lastError = null;
        this.lastText = null;
        return;
      }
      this.fail(new ManagedConfigError(file, null, `cannot read: ${err.message}`));
      return;
    }
    if (text === this.lastText) return;
    try {
      const parsed = parseManagedConfig(file, text);
      this.managed = parsed.values;
      this.ignored = parsed.ignored;
      this.managedPresent = true;
      this.managedLoadedAt = new Date();
      this.lastError = null;
      this.lastText = text;
      for (const k of parsed.ignored) {
        this.opts.logger.info({ file, key: k.key, reason: k.reason }, k.reason === 'unknown' ? 'managed configuration: unknown key ignored' : 'managed configuration: key not implemented, ignored');
      }
      this.opts.logger.info({ file, settings: [...parsed.values.keys()] }, 'managed configuration loaded');
    } catch (e) {
      if (e instanceof ManagedConfigError) this.fail(e);
      else throw e;
    }
  }

  private fail(e: ManagedConfigError, untrusted = false): void {
    const same = this.lastError && this.lastError.reason === e.reason && this.lastError.key === e.key;
    this.lastError = { file: e.file, key: e.key, reason: e.reason, at: new Date().toISOString(), ...(untrusted ? { untrusted } : {}) };
    // Forget the last text: once the file is fixed, the same content applies at the next read.
    this.lastText = null;
    if (!same) this.opts.logger.error({ file: e.file, key: e.key, reason: e.reason, untrusted }, 'managed configuration refused; keeping the last valid configuration');
  }

  private recompute(): void {
    const next = defaultSettings();
    const local = this.local.settings.all();
    for (const [id, value] of local) if (ALL_IDS.has(id)) applySetting(next, id as SettingId, value);
    for (const [id, value] of this.managed) applySetting(next, id, value);
    next.exclusions = this.exclusionEntries(next).map((e) => e.exclusion);
    next.threatTypeSettings = this.mergeThreatTypeSettings(local);
    next.allowedThreats = [...new Set([...((this.managed.get('allowedThreats') as string[] | undefined) ?? []), ...((local.get('allowedThreats') as string[] | undefined) ?? [])])];
    const changed: SettingId[] = [];
    for (const id of ALL_IDS) {
      if (JSON.stringify(readSetting(this.current, id as SettingId)) !== JSON.stringify(readSetting(next, id as SettingId))) changed.push(id as SettingId);
    }
    this.current = next;
    if (changed.length > 0) this.emit('change', changed, next);
  }

  private mergeThreatTypeSettings(local: Map<string, unknown>): Settings['threatTypeSettings'] {
    const base = defaultSettings().threatTypeSettings;
    const managed = (this.managed.get('threatTypeSettings') as Settings['threatTypeSettings'] | undefined) ?? {};
    const localTts = (local.get('threatTypeSettings') as Settings['threatTypeSettings'] | undefined) ?? {};
    const policy = (this.managed.get('threatTypeSettingsMergePolicy') as string | undefined) ?? 'merge';
    return policy === 'admin_only' ? { ...base, ...managed } : { ...base, ...localTts, ...managed };
  }

  private exclusionEntries(s: Settings = this.current): ExclusionEntry[] {
    const managed = ((this.managed.get('exclusions') as Exclusion[] | undefined) ?? []).map((exclusion) => ({ exclusion, managed: true }));
    if (s.exclusionsMergePolicy === 'admin_only') return managed;
    const seen = new Set(managed.map((e) => exclusionKey(e.exclusion)));
    const local = this.local.exclusions
      .list()
      .filter((e) => !seen.has(exclusionKey(e)))
      .map((exclusion) => ({ exclusion, managed: false }));
    return [...managed, ...local];
  }

  get settings(): Settings {
    return this.current;
  }

  exclusions(): ExclusionEntry[] {
    return this.exclusionEntries();
  }

  isManaged(id: SettingId): boolean {
    return this.managed.has(id);
  }

  managedIds(): Set<SettingId> {
    return new Set(this.managed.keys());
  }

  /** Changes a local setting; refused when the managed file sets it. */
  setLocal(id: SettingId, value: unknown): void {
    if (this.managed.has(id)) throw new WdavError('WDAV_ERR_MANAGED_SETTING', `${id} is set in the managed configuration (${this.opts.managedFile}) and cannot be changed with mdatp`);
    this.local.settings.set(id, value);
    this.recompute();
  }

  private refuseIfExclusionsManaged(): void {
    if (this.current.exclusionsMergePolicy === 'admin_only' && this.managed.has('exclusionsMergePolicy')) {
      throw new WdavError('WDAV_ERR_MANAGED_SETTING', 'exclusions are managed by the administrator (exclusionsMergePolicy is admin_only); local exclusions are not allowed');
    }
  }

  addExclusion(e: Exclusion): boolean {
    this.refuseIfExclusionsManaged();
    const added = this.local.exclusions.add(e);
    this.recompute();
    return added;
  }

  removeExclusion(e: Exclusion): boolean {
    this.refuseIfExclusionsManaged();
    const managedHit = ((this.managed.get('exclusions') as Exclusion[] | undefined) ?? []).some((m) => exclusionKey(m) === exclusionKey(e));
    const removed = this.local.exclusions.remove(e);
    if (!removed && managedHit) throw new WdavError('WDAV_ERR_MANAGED_SETTING', 'this exclusion is set in the managed configuration and cannot be removed with mdatp');
    this.recompute();
    return removed;
  }

  /** Re-reads local settings (after a change in the store by another component). */
  refresh(): void {
    this.recompute();
  }

  status(): ConfigStatus {
    return {
      managedFile: this.opts.managedFile,
      managedPresent: this.managedPresent,
      managedLoadedAt: this.managedLoadedAt?.toISOString() ?? null,
      lastError: this.lastError,
      ignoredKeys: this.ignored,
    };
  }

  healthIssues(): string[] {
    if (!this.lastError) return [];
    const e = this.lastError;
    if (e.untrusted) return [`managed configuration ${e.file} is ignored: ${e.reason}; the last valid configuration is in use`];
    return [`managed configuration ${e.file} is invalid${e.key ? ` at ${e.key}` : ''}: ${e.reason}; the last valid configuration is in use`];
  }
}

export { ParseError };

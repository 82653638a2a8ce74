// src/definitions/service.ts — DefinitionsService: the daemon's one owner of "which definitions
// are current". start() loads the current generation (falling back to the previous one), update()
// fetches from offlineDefinitionUpdateUrl into a new generation, restore() returns to the
// previous one, reloadCustom() reloads the drop-in overlay. A new set is fully loaded and
// validated BEFORE the pointer switches; any failure keeps the current set and is reported.
// Sets are immutable: the switch only changes which set new scans get (`apply`, normally
// engine.setDefinitions, which lets scans in flight finish on their set and then closes it).
// Emits 'changed' after every switch so the daemon can drop verdict caches and kernel marks.
// Owns: the sequence and the health fields. Must not: scan, or write outside <stateDir>/definitions.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { WdavError, errorMessage, isWdavError } from '../shared/errors.js';
import type { NativeBinding } from '../shared/native.js';
import { bundledTrustedKeysDir, defaultCustomDefinitionsDir } from '../shared/paths.js';
import type { DefinitionSet } from './definition-set.js';
import type { LoadReport } from './load-report.js';
import { type Generation, GenerationStore, type Pointer } from './generations.js';
import { type LoadSetFn, defaultLoadSet, loadWithOverlay } from './generations-load.js';
import { type ConnectivityResult, connectivityTest, fetchUpdate } from './update.js';
import { type UpdateSettings, defaultUpdateSettings } from './update-types.js';

export type DefinitionsStatusValue = 'up_to_date' | 'out_of_date' | 'updating' | 'failed' | 'no_definitions';

export interface DefinitionsStatus {
  definitions_version: string | null;
  definitions_updated: Date | null;
  definitions_status: DefinitionsStatusValue;
  definitions_update_source_uri: string | null;
  definitions_update_fail_reason: string | null;
  offline_definition_url_configured: boolean;
  generation: number | null;
  previous_generation: number | null;
  last_update_attempt: Date | null;
  /** Health issues: custom files left out, a generation that failed at start. */
  issues: string[];
  /** Per file / per format counts, body matcher, problems (mdatp health --details definitions); null before start(). */
  report: LoadReport | null;
}

export type ChangeReason = 'start' | 'update' | 'restore' | 'custom';

export interface DefinitionsChanged {
  reason: ChangeReason;
  set: DefinitionSet;
  generation: number | null;
  version: string | null;
}

export interface UpdateResult {
  updated: boolean;
  version: string;
  generation: number | null;
}

type Logger = { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };

export interface DefinitionsServiceOptions {
  /** Definitions live in <stateDir>/definitions. */
  stateDir: string;
  /** The drop-in directory loaded as an overlay (--custom-definitions). */
  customDir?: string | null;
  /** Loads a set; default: the real loader with `native` and the CVD reader. */
  load?: LoadSetFn;
  native?: NativeBinding | null;
  /**
   * Makes `set` the one new scans use and takes ownership of the previous one (the daemon passes
   * `(s, switched) => engine.setDefinitions(s, { switched })`). Without it the service closes
   * the previous set itself. It calls `switched` once new scans use `set` (else 'changed' is
   * emitted when it resolves).
   */
  apply?: (set: DefinitionSet, switched: () => void) => Promise<void>;
  /** Update settings; trustedKeyDirs defaults to the installed keys/ folder plus extraKeysDir. */
  update?: Partial<UpdateSettings>;
  /**
   * A second folder of trusted public keys besides the keys/ folder installed with the daemon
   * (which a reinstall replaces). Default: `keys/` next to the custom definitions directory
   * (/etc/wdavdaemon/keys as root); null for none.
   */
  extraKeysDir?: string | null;
  /** SHA-256 of every generation file is checked at start (default true). */
  deepVerifyOnStart?: boolean;
  /** With no successful check for this long the status is out_of_date (default 7 days). */
  outOfDateAfterMs?: number;
  logger?: Logger;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

/** Where generations live under the state directory. */
export const DEFINITIONS_DIR = 'definitions';

/** Administrators' keys live with the configuration, so reinstalling the daemon keeps them. */
export function defaultExtraKeysDir(): string {
  return path.join(path.dirname(defaultCustomDefinitionsDir()), 'keys');
}

export class DefinitionsService extends EventEmitter {
  private readonly store: GenerationStore;
  private readonly load: LoadSetFn;
  private readonly log: Logger;
  private settings: UpdateSettings;
  private set: DefinitionSet | null = null;
  private gen: Generation | null = null;
  private pointer: Pointer = { current: null, previous: null };
  private customIssues: string[] = [];
  private startIssues: string[] = [];
  private failReason: string | null = null;
  private lastAttempt: Date | null = null;
  private lastGood: Date | null = null;
  private updating: Promise<UpdateResult> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: DefinitionsServiceOptions) {
    super();
    this.store = new GenerationStore(path.join(opts.stateDir, DEFINITIONS_DIR));
    this.load = opts.load ?? defaultLoadSet(opts.native ?? null);
    this.log = opts.logger ?? silent;
    const extra = opts.extraKeysDir === undefined ? defaultExtraKeysDir() : opts.extraKeysDir;
    const keys = [bundledTrustedKeysDir(), ...(extra ? [extra] : [])];
    this.settings = { ...defaultUpdateSettings(keys), ...opts.update };
  }

  /** Changes update settings (config reload); takes effect at the next update. */
  configure(update: Partial<UpdateSettings>): void {
    this.settings = { ...this.settings, ...update, http: { ...this.settings.http, ...update.http } };
  }

  /** Runs one operation at a time: update, restore, reload and start never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async start(): Promise<void> {
    await this.exclusive(async () => {
      await this.store.init();
      this.startIssues = [];
      try {
        this.pointer = this.store.readPointer();
      } catch (e) {
        const newest = this.store.list().at(-1) ?? null;
        this.startIssues.push(`${errorMessage(e)}; using the newest generation ${newest ?? '(none)'}`);
        this.pointer = { current: newest, previous: null };
      }
      for (const name of [this.pointer.current, this.pointer.previous]) {
        if (!name) continue;
        try {
          const gen = await this.store.read(name, this.opts.deepVerifyOnStart ?? true);
          const loaded = await loadWithOverlay(this.load, this.store.filesOf(gen), this.opts.customDir ?? null, this.store.cacheDir(gen));
          if (name !== this.pointer.current) {
            this.startIssues.push(`generation ${this.pointer.current} could not be used; running on the previous generation ${name}`);
            this.pointer = { current: name, previous: null };
            await this.store.writePointer(this.pointer);
          }
          this.lastGood = new Date(gen.meta.installed);
          await this.switchTo(loaded.set, gen, loaded.customIssues, 'start');
          return;
        } catch (e) {
          this.startIssues.push(`definitions generation ${name} failed to load: ${errorMessage(e)}`);
          this.log.error({ generation: name, err: errorMessage(e) }, 'definitions generation failed to load');
        }
      }
      if (this.pointer.current) {
        this.pointer = { current: null, previous: null };
        await this.store.writePointer(this.pointer);
      }
      const loaded = await loadWithOverlay(this.load, [], this.opts.customDir ?? null, undefined);
      await this.switchTo(loaded.set, null, loaded.customIssues, 'start');
    });
  }

  /** The set new scans should use. */
  current(): DefinitionSet {
    if (!this.set) throw new WdavError('WDAV_ERR_UNAVAILABLE', 'definitions are not loaded yet');
    return this.set;
  }

  private async switchTo(set: DefinitionSet, gen: Generation | null, customIssues: string[], reason: ChangeReason): Promise<void> {
    const prev = this.set;
    this.set = set;
    this.gen = gen;
    this.customIssues = customIssues;
    for (const issue of customIssues) this.log.warn({ issue }, 'custom definitions file skipped');
    // 'changed' only once scans use the new set: real-time protection then takes the engine's
    // plan for its native verdicts and drops the kernel's clean cache. Emitted earlier, it took
    // the previous set's plan, and native verdicts went on with the old definitions, caching
    // their clean verdicts under the new epoch.
    let emitted = false;
    const changed = (): void => {
      if (emitted) return;
      emitted = true;
      this.log.info({ reason, generation: gen?.meta.generation ?? null, version: gen?.meta.version ?? null, loadMs: set.report.loadMs }, 'definitions switched');
      try {
        this.emit('changed', { reason, set, generation: gen?.meta.generation ?? null, version: gen?.meta.version ?? null } satisfies DefinitionsChanged);
      } catch (e) {
        // Called from inside the engine's switch: a listener's failure must not stop it.
        this.log.error({ err: errorMessage(e), stack: (e as Error)?.stack }, 'a definitions change listener failed');
      }
    };
    try {
      await (this.opts.apply ? this.opts.apply(set, changed) : (prev?.close() ?? Promise.resolve()));
    } finally {
      changed();
    }
  }

  /** Reloads the custom overlay on top of the current generation (SIGHUP, mdatp definitions reload). */
  reloadCustom(): Promise<{ issues: string[] }> {
    return this.exclusive(async () => {
      const gen = this.gen;
      const loaded = await loadWithOverlay(this.load, gen ? this.store.filesOf(gen) : [], this.opts.customDir ?? null, gen ? this.store.cacheDir(gen) : undefined);
      await this.switchTo(loaded.set, gen, loaded.customIssues, 'custom');
      return { issues: loaded.customIssues };
    });
  }

  /** One update attempt; concurrent calls share it. Rejects with a coded error, keeping the current set. */
  update(signal: AbortSignal = new AbortController().signal): Promise<UpdateResult> {
    this.updating ??= this.exclusive(() => this.runUpdate(signal)).finally(() => {
      this.updating = null;
    });
    return this.updating;
  }

  private async runUpdate(signal: AbortSignal): Promise<UpdateResult> {
    this.lastAttempt = new Date();
    const staging = await this.store.stage();
    let committed: Generation | null = null;
    try {
      const installed = this.gen ? { kind: this.gen.meta.kind, version: this.gen.meta.version } : null;
      const out = await fetchUpdate(this.settings, installed, staging, signal);
      if (out.kind === 'up_to_date') {
        await this.store.discard(staging);
        this.failReason = null;
        this.lastGood = new Date();
        return { updated: false, version: out.version, generation: this.gen?.meta.generation ?? null };
      }
      committed = await this.store.commit(staging, out.meta, out.names);
      const loaded = await loadWithOverlay(this.load, this.store.filesOf(committed), this.opts.customDir ?? null, this.store.cacheDir(committed));
      this.pointer = { current: committed.name, previous: this.pointer.current };
      await this.store.writePointer(this.pointer);
      await this.switchTo(loaded.set, committed, loaded.customIssues, 'update');
      await this.store.prune([this.pointer.current, this.pointer.previous]).catch((e: unknown) => {
        this.log.warn({ err: errorMessage(e) }, 'could not remove old definitions generations');
      });
      this.failReason = null;
      this.lastGood = new Date();
      return { updated: true, version: committed.meta.version, generation: committed.meta.generation };
    } catch (e) {
      await this.store.discard(staging);
      if (committed && this.pointer.current !== committed.name) await this.store.prune([this.pointer.current, this.pointer.previous]);
      this.failReason = errorMessage(e);
      this.log.error({ err: this.failReason }, 'definitions update failed; keeping the current definitions');
      throw isWdavError(e) ? e : new WdavError('WDAV_ERR_DEFINITIONS_UPDATE_FAILED', this.failReason);
    }
  }

  /** Back to the previous generation (mdatp definitions restore); the one left becomes "previous". */
  restore(): Promise<{ version: string; generation: number }> {
    return this.exclusive(async () => {
      const target = this.pointer.previous;
      if (!target) throw new WdavError('WDAV_ERR_CONFLICT', 'there is no previous definitions generation to restore');
      const gen = await this.store.read(target);
      const loaded = await loadWithOverlay(this.load, this.store.filesOf(gen), this.opts.customDir ?? null, this.store.cacheDir(gen));
      this.pointer = { current: target, previous: this.pointer.current };
      await this.store.writePointer(this.pointer);
      await this.switchTo(loaded.set, gen, loaded.customIssues, 'restore');
      return { version: gen.meta.version, generation: gen.meta.generation };
    });
  }

  /** `mdatp connectivity test`: one result per endpoint (the proxy when set, then the source). */
  connectivityTest(signal?: AbortSignal): Promise<ConnectivityResult[]> {
    return connectivityTest(this.settings, signal);
  }

  /** Automatic updates (cloudService.automaticDefinitionUpdateEnabled / definitionUpdatesInterval). */
  schedule(intervalMs: number | null): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!intervalMs || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.update().catch(() => undefined); // reported through status()
    }, intervalMs);
    this.timer.unref();
  }

  status(now = new Date()): DefinitionsStatus {
    const meta = this.gen?.meta ?? null;
    const stale = this.lastGood !== null && now.getTime() - this.lastGood.getTime() > (this.opts.outOfDateAfterMs ?? 7 * 86_400_000);
    const value: DefinitionsStatusValue = this.updating ? 'updating' : !meta ? 'no_definitions' : this.failReason ? 'failed' : stale ? 'out_of_date' : 'up_to_date';
    return {
      definitions_version: meta?.version ?? null,
      definitions_updated: meta ? new Date(meta.installed) : null,
      definitions_status: value,
      definitions_update_source_uri: this.settings.url,
      definitions_update_fail_reason: this.failReason,
      offline_definition_url_configured: Boolean(this.settings.url),
      generation: meta?.generation ?? null,
      previous_generation: this.pointer.previous ? Number(this.pointer.previous.slice(4)) : null,
      last_update_attempt: this.lastAttempt,
      issues: [...this.startIssues, ...this.customIssues],
      report: this.set?.report ?? null,
    };
  }

  /** Shutdown: stops the schedule and, when the service owns sets (no `apply`), closes the current one. */
  async close(): Promise<void> {
    this.schedule(null);
    await this.queue;
    if (!this.opts.apply) await this.set?.close();
  }
}

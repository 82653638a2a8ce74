// src/threats/service.ts — the threat service (issue 6): records every detection handed over
// by real-time protection and on-demand scans, applies the remediation policy (`decide`),
// quarantines, restores and removes, and answers the scanners' allow-list questions.
// Every operation on one threat runs under that threat's lock (and quarantine also under the
// file's path), so concurrent requests cannot double-restore or double-remove.
// Owns the lifecycle of threat records. Must not: scan files, answer the kernel, or log
// outside src/threats/events.ts. Administrative settings live in src/threats/admin.ts,
// retention in src/threats/retention.ts.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ConfigService } from '../config/service.js';
import type { Settings } from '../config/settings.js';
import type { SettingsStore } from '../store/settings.js';
import { DB_FILE, type Db } from '../store/db.js';
import { AllowedStore } from '../store/allowed.js';
import { QuarantineStore } from '../store/quarantine.js';
import { ThreatsStore, type ThreatRow, type ThreatStatus } from '../store/threats.js';
import { isStorageFull, type StorageReporter } from '../store/storage-health.js';
import type { Logger } from '../shared/logger.js';
import { WdavError } from '../shared/errors.js';
import { UntrustedPathError, assertTrusted } from '../shared/trust.js';
import { ThreatAdmin } from './admin.js';
import { AllowList } from './allow-list.js';
import { ThreatEvents } from './events.js';
import { KeyedMutex } from './keyed-mutex.js';
import { decide } from './policy.js';
import { KEY_FILE, loadOrCreateKey } from './qfile.js';
import { Quarantine, describeFsError, type QuarantineDeps, type QuarantineResult } from './quarantine.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { Retention } from './retention.js';
import { splitPath } from './safe-fs.js';
import { hashDetectedFile, validateDetection } from './detection.js';
import type { Actor, DetectionEvent, ThreatHandler, ThreatOutcome } from './types.js';
import { quarantineView, threatView, type QuarantineView, type ThreatView } from './views.js';

export const QUARANTINE_DIR = 'quarantine';

export interface ThreatServiceOptions {
  db: Db;
  stateDir: string;
  config: Pick<ConfigService, 'settings' | 'setLocal' | 'isManaged' | 'refresh'>;
  /** Local settings table (the per-type policy is written there when the managed file merges). */
  localSettings: Pick<SettingsStore, 'all' | 'set' | 'delete'>;
  logger: Logger<'verbose'>;
  /** Told when a write fails for lack of space, and when one succeeds again (a health issue). */
  storage?: StorageReporter;
}

/** Who asked (the API caller's uid; null for the daemon itself). */
export type { Actor } from './types.js';

export class ThreatService implements ThreatHandler {
  readonly threats: ThreatsStore;
  readonly rows: QuarantineStore;
  readonly allow: AllowList;
  readonly events: ThreatEvents;
  readonly locks = new KeyedMutex();
  readonly quarantineDir: string;
  /** Allow list and per-type policy administration. */
  readonly admin: ThreatAdmin;
  /** Retention passes; other components add their own history with `retention.addHook`. */
  readonly retention: Retention;
  private quarantine: Quarantine | null = null;
  /** Why quarantine cannot work (damaged key, unusable directory): a health issue. */
  quarantineError: string | null = null;
  reconcileReport: ReconcileReport = { actions: [], problems: [], formatOne: [] };
  /** Items refused by restore for failing authentication, by threat id (health issues until removed). */
  private readonly unauthentic = new Map<string, string>();
  private closing = false;

  private constructor(private readonly o: ThreatServiceOptions) {
    this.threats = new ThreatsStore(o.db);
    this.rows = new QuarantineStore(o.db);
    this.allow = new AllowList(new AllowedStore(o.db));
    this.events = new ThreatEvents(o.logger);
    this.quarantineDir = path.join(o.stateDir, QUARANTINE_DIR);
    this.admin = new ThreatAdmin(this, o.config, o.localSettings);
    this.retention = new Retention(this, o.logger);
  }

  /** Opens the service: quarantine directory and key, then reconciliation of interrupted operations. */
  static async open(o: ThreatServiceOptions): Promise<ThreatService> {
    const s = new ThreatService(o);
    try {
      prepareDir(s.quarantineDir);
      const keyExisted = fs.existsSync(path.join(o.stateDir, KEY_FILE));
      const deps: QuarantineDeps = { db: o.db, dir: s.quarantineDir, key: loadOrCreateKey(o.stateDir), rows: s.rows, threats: s.threats, allow: s.allow };
      s.quarantine = new Quarantine(deps);
      s.reconcileReport = await reconcile(deps, s.quarantine);
      const orphaned = keyExisted ? 0 : s.rows.inStates(['quarantined']).length;
      if (orphaned > 0) s.reconcileReport.problems.push(`${KEY_FILE} was missing and a new key was made: ${orphaned} quarantined file(s) encrypted with the lost key cannot be restored (they can be removed)`);
    } catch (e) {
      // A quarantine directory or key others could change is not a degraded quarantine: the
      // daemon refuses to start (the 'state' stage normally says so first).
      if (e instanceof UntrustedPathError) throw e;
      s.quarantine = null;
      s.quarantineError = `quarantine is unavailable: ${describeFsError(e)}`;
      o.logger.error({ err: s.quarantineError, dir: s.quarantineDir }, 'quarantine is unavailable; detections are recorded but files stay in place');
    }
    for (const a of s.reconcileReport.actions) {
      s.events.emit('quarantine_reconciled', 'reconcile', 'success', { threatId: a.threatId, reason: a.detail ?? null, file: a.file, outcome: a.outcome }, `quarantine reconciled: ${a.outcome}`);
    }
    for (const p of s.reconcileReport.problems) o.logger.error({ problem: p }, 'quarantine problem found at startup');
    return s;
  }

  get settings(): Settings {
    return this.o.config.settings;
  }

  /** Health issues that are real: quarantine unusable, quarantined files missing or failing authentication. */
  healthIssues(): string[] {
    const formatOne = this.reconcileReport.formatOne.filter((id) => this.rows.get(id)?.state === 'quarantined').length;
    return [
      ...(this.quarantineError ? [this.quarantineError] : []),
      ...this.reconcileReport.problems,
      ...(formatOne > 0 ? [`${formatOne} quarantined item(s) are of format 1, made before items were authenticated: they cannot be restored (mdatp threat quarantine remove deletes them)`] : []),
      ...this.unauthentic.values(),
    ];
  }

  /** True when restoring or an administrator allowed this exact content. */
  isAllowedHash(sha256: string): boolean {
    return this.allow.hasHash(sha256);
  }

  /** The local allow list (names and hashes); pass as `locallyAllowed` to `decide`. */
  isAllowed(name: string, sha256?: string | null): boolean {
    return this.allow.hasName(name) || (!!sha256 && this.allow.hasHash(sha256));
  }

  async handle(ev: DetectionEvent): Promise<ThreatOutcome> {
    if (this.closing) throw new WdavError('WDAV_ERR_SHUTTING_DOWN', 'the threat service is stopping');
    validateDetection(ev);
    try {
      return await this.record(ev);
    } catch (e) {
      // The database full: not recorded, and the file was not touched (quarantine comes after
      // the record). The scanners log the error; the health issue says why.
      this.noteStorage(e);
      throw e;
    }
  }

  private noteStorage(e: unknown): void {
    const sqlite = String((e as { code?: unknown })?.code ?? '').startsWith('SQLITE_');
    this.o.storage?.noteFailure(sqlite ? 'database' : 'quarantine', sqlite ? path.join(this.o.stateDir, DB_FILE) : this.quarantineDir, e);
  }

  private async record(ev: DetectionEvent): Promise<ThreatOutcome> {
    let sha256 = ev.sha256?.toLowerCase() ?? null;
    let size = ev.size ?? null;
    if (!sha256) ({ sha256, size } = await hashDetectedFile(ev.rawPath ?? ev.path, ev.fd, size));
    const d = decide(this.settings, ev, this.isAllowed(ev.name, sha256));
    const base = {
      threatName: ev.name, threatType: ev.threatType, path: ev.path, memberPath: ev.memberPath ?? null, sha256, source: ev.source,
      process: ev.process ? { pid: ev.process.pid, name: ev.process.name ?? null, executable: ev.process.executable ?? null, uid: ev.process.uid ?? null } : null,
      user: ev.process?.uid ?? null, scanId: ev.scanId ?? null, engine: ev.engine,
    };
    if (!d.record) {
      this.events.emit('threat_ignored', 'ignore', 'success', { ...base, reason: d.reason }, `threat ignored (type off): ${ev.name} in ${ev.path}`, 'verbose');
      return { threatId: null, action: 'ignored' };
    }
    const now = Date.now();
    const open = this.threats.findOpen(ev.path, ev.memberPath ?? null, ev.name, sha256);
    let id: string;
    if (open) {
      id = open.id;
      this.threats.seenAgain(id, now, ev.blocked);
    } else {
      id = randomUUID();
      const history: { status: ThreatStatus; detail?: string }[] = [{ status: 'detected', detail: `${ev.source}${ev.scanId ? ` scan ${ev.scanId}` : ''} (${ev.engine})` }];
      if (ev.blocked) history.push({ status: 'blocked' });
      if (d.reason === 'allowed_threat') history.push({ status: 'allowed', detail: 'on the allow list' });
      this.threats.insert(
        {
          id, name: ev.name, threat_type: ev.threatType, path: ev.path, raw_path: ev.rawPath ?? null, member_path: ev.memberPath ?? null,
          sha256, size, source: ev.source, scan_id: ev.scanId ?? null, engine: ev.engine,
          process_pid: ev.process?.pid ?? null, process_name: ev.process?.name ?? null, process_executable: ev.process?.executable ?? null,
          process_uid: ev.process?.uid ?? null, detected_at: now, status: history[history.length - 1]!.status,
        },
        history,
      );
    }
    // Committed: the database takes writes (before the quarantine, which reports its own outcome).
    this.o.storage?.noteSuccess('database');
    const action = d.reason === 'allowed_threat' ? 'allow' : d.quarantine ? 'quarantine' : ev.blocked ? 'block' : 'report';
    this.events.emit('threat_detected', action, 'success', { ...base, threatId: id, reason: d.reason, blocked: ev.blocked, repeated: !!open }, `threat detected: ${ev.name} in ${ev.path}`, 'warn');
    if (!d.quarantine) return { threatId: id, action: d.reason === 'allowed_threat' ? 'allowed' : ev.blocked ? 'blocked' : 'reported' };
    return this.locks.run(id, async () => {
      const t = this.threats.get(id);
      if (!t) return { threatId: id, action: 'quarantine_failed' as const };
      if (t.status === 'quarantined') return { threatId: id, action: 'quarantined' as const };
      const r = await this.doQuarantine(t, ev.fd, null);
      return { threatId: id, action: r.ok ? ('quarantined' as const) : ('quarantine_failed' as const) };
    });
  }

  /** Quarantines under the file's path lock and logs the outcome. Caller holds the threat lock. */
  private async doQuarantine(t: ThreatRow, fd: number | undefined, actor: Actor): Promise<QuarantineResult> {
    const q = this.quarantine;
    const r = q
      ? await this.locks.run(`path:${t.path}`, () => q.quarantine(t, { ...(fd !== undefined ? { fd } : {}), actorUid: actor }))
      : { ok: false as const, reason: this.quarantineError ?? 'quarantine is unavailable' };
    if (!q) this.threats.setStatus(t.id, 'quarantine_failed', Date.now(), r.ok ? null : r.reason, actor);
    if (r.ok) {
      this.o.storage?.noteSuccess('quarantine');
      this.o.storage?.noteSuccess('database');
    } else {
      if (r.cause !== undefined) this.noteStorage(r.cause);
      if (r.recordError !== undefined) this.noteStorage(r.recordError);
    }
    if (r.ok) this.events.emit('threat_quarantined', 'quarantine', 'success', ThreatEvents.of(t, actor), `threat quarantined: ${t.name} from ${t.path}`);
    else this.events.emit('threat_quarantine_failed', 'quarantine', 'failure', { ...ThreatEvents.of(t, actor), reason: r.reason }, `quarantine failed: ${t.name} in ${t.path}: ${r.reason}`);
    return r;
  }

  private need(id: string): ThreatRow {
    const t = this.threats.get(id);
    if (!t) throw new WdavError('WDAV_ERR_THREAT_NOT_FOUND', `No threat with id ${JSON.stringify(id)}`);
    return t;
  }

  private requireQuarantine(): Quarantine {
    if (!this.quarantine) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', this.quarantineError ?? 'quarantine is unavailable');
    return this.quarantine;
  }

  list(): ThreatView[] {
    return this.threats.list().map((t) => threatView(t));
  }

  get(id: string): ThreatView {
    const t = this.need(id);
    return threatView(t, this.threats.history(id), this.rows.get(id) ?? null);
  }

  recent(n: number): ThreatView[] {
    return this.threats.list(n).map((t) => threatView(t, this.threats.history(t.id)));
  }

  quarantined(): QuarantineView[] {
    return this.rows.inStates(['quarantined']).map((q) => quarantineView(q, this.need(q.threat_id)));
  }

  /** `mdatp threat quarantine add --id`: quarantines a threat that was only reported. */
  quarantineAdd(id: string, actor: Actor): Promise<ThreatView> {
    return this.locks.run(id, async () => {
      const t = this.need(id);
      if (t.status === 'quarantined') throw new WdavError('WDAV_ERR_CONFLICT', `threat ${id} is already in quarantine`);
      if (t.status === 'restored' || t.status === 'removed') throw new WdavError('WDAV_ERR_CONFLICT', `threat ${id} was ${t.status}; its file is no longer at ${t.path}`);
      this.requireQuarantine();
      if (!t.sha256) {
        const h = await hashDetectedFile(t.raw_path ?? t.path, undefined, t.size);
        if (h.sha256) this.threats.setHash(id, h.sha256, h.size ?? 0);
      }
      const r = await this.doQuarantine(this.need(id), undefined, actor);
      if (!r.ok) throw new WdavError(isStorageFull(r.cause) || isStorageFull(r.recordError) ? 'WDAV_ERR_STATE_FULL' : 'WDAV_ERR_QUARANTINE_FAILED', `cannot quarantine threat ${id}: ${r.reason}`);
      return this.get(id);
    });
  }

  /** `mdatp threat quarantine remove --id`: deletes the quarantined copy for good. */
  quarantineRemove(id: string, actor: Actor): Promise<ThreatView> {
    return this.locks.run(id, async () => {
      await this.quarantineRemoveLocked(id, 'removed by an administrator', actor);
      return this.get(id);
    });
  }

  /** The removal itself; the caller holds the threat's lock (retention uses it too). */
  async quarantineRemoveLocked(id: string, detail: string, actor: Actor = null): Promise<void> {
    const t = this.need(id);
    await this.requireQuarantine().remove(id, detail, actor);
    this.unauthentic.delete(id);
    this.events.emit('threat_removed', 'remove', 'success', { ...ThreatEvents.of(t, actor), reason: detail }, `quarantined threat removed: ${t.name} (${t.path})`);
  }

  async quarantineRemoveAll(actor: Actor): Promise<{ removed: string[]; failed: { id: string; error: string }[] }> {
    const removed: string[] = [];
    const failed: { id: string; error: string }[] = [];
    for (const q of this.rows.inStates(['quarantined'])) {
      try {
        await this.quarantineRemove(q.threat_id, actor);
        removed.push(q.threat_id);
      } catch (e) {
        // Removed meanwhile by a concurrent request: not a failure of this one.
        if ((e as WdavError).code !== 'WDAV_ERR_NOT_QUARANTINED') failed.push({ id: q.threat_id, error: (e as Error).message });
      }
    }
    return { removed, failed };
  }

  /** Restores into `destDir` (default: the original directory). Refused when `restore` is a disallowed action. */
  restore(id: string, destDir: string | undefined, actor: Actor): Promise<{ threat: ThreatView; destination: string }> {
    return this.locks.run(id, async () => {
      const t = this.need(id);
      this.refuseIfDisallowed('restore', t, actor);
      const q = this.requireQuarantine();
      // Checked again before use: the directory may have been opened up since the start.
      assertTrusted(this.quarantineDir, 'dir');
      let dest = destDir;
      if (dest === undefined) {
        if (t.raw_path) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', 'the original path is not valid UTF-8: give --destination-path');
        dest = splitPath(t.path).dir.toString('utf8');
      }
      try {
        const destination = await q.restore(id, dest, actor);
        this.events.emit('threat_restored', 'restore', 'success', { ...ThreatEvents.of(t, actor), destination }, `threat restored: ${t.name} to ${destination}`);
        return { threat: this.get(id), destination };
      } catch (e) {
        const refused = e instanceof WdavError && e.status < 500;
        // A forged or edited item is refused like any bad request, but logged as an error: someone wrote into the quarantine.
        const forged = e instanceof WdavError && e.code === 'WDAV_ERR_QUARANTINE_UNAUTHENTIC';
        if (forged) this.unauthentic.set(id, `${(e as Error).message} (threat ${id}, ${t.path})`);
        this.events.emit('threat_restored', 'restore', refused ? 'refused' : 'failure', { ...ThreatEvents.of(t, actor), reason: (e as Error).message, destination: dest }, `restore of ${t.name} failed: ${(e as Error).message}`, forged ? 'error' : undefined);
        throw e;
      }
    });
  }

  /** `restore threat-path --path ORIGINAL`: the most recently quarantined file that was at ORIGINAL. */
  async restoreByPath(originalPath: string, destDir: string | undefined, actor: Actor): Promise<{ threat: ThreatView; destination: string }> {
    const q = this.rows.byOriginalPath(originalPath)[0];
    if (!q) throw new WdavError('WDAV_ERR_THREAT_NOT_FOUND', `No quarantined file was at ${originalPath}`);
    return this.restore(q.threat_id, destDir, actor);
  }

  refuseIfDisallowed(action: 'allow' | 'restore', t: ThreatRow | null, actor: Actor, name?: string): void {
    if (!this.settings.disallowedThreatActions.includes(action)) return;
    const fields = t ? ThreatEvents.of(t, actor) : { threatName: name ?? null, user: actor };
    this.events.emit('threat_action_refused', action, 'refused', { ...fields, reason: 'disallowedThreatActions' }, `${action} refused: disallowed by the administrator`);
    throw new WdavError('WDAV_ERR_ACTION_DISALLOWED', `The administrator disallowed the "${action}" action (disallowedThreatActions)`);
  }

  /** Waits for operations in flight (bounded by the lifecycle's stop timeout). */
  async stop(): Promise<void> {
    this.closing = true;
    this.retention.stop();
    await this.retention.idle();
    await this.locks.idle();
  }
}

function prepareDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertTrusted(dir, 'dir');
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', `${dir} is not a directory`);
  // Trusted (nobody else can write), but readable by others: made private as documented.
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

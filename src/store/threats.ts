// src/store/threats.ts — the `threats` and `threat_history` tables: one record per detected
// threat with its current status and every status change. Owns SQL for these two tables only.
// Must not: touch files, decide policy, or read the quarantine table (src/store/quarantine.ts).
import { stmt, type Db } from './db.js';

export const THREAT_STATUSES = ['detected', 'blocked', 'quarantined', 'quarantine_failed', 'removed', 'restored', 'allowed'] as const;
export type ThreatStatus = (typeof THREAT_STATUSES)[number];

export interface ThreatRow {
  id: string;
  name: string;
  threat_type: string;
  path: string;
  raw_path: Buffer | null;
  member_path: string | null;
  sha256: string | null;
  size: number | null;
  source: string;
  scan_id: string | null;
  engine: string;
  process_pid: number | null;
  process_name: string | null;
  process_executable: string | null;
  process_uid: number | null;
  detected_at: number;
  last_seen_at: number;
  occurrences: number;
  status: ThreatStatus;
}

export interface HistoryRow {
  status: ThreatStatus;
  at: number;
  detail: string | null;
  actor_uid: number | null;
}

export type NewThreat = Omit<ThreatRow, 'last_seen_at' | 'occurrences'>;

/** Statuses after which the file is no longer where it was detected because of us. */
const SETTLED: ThreatStatus[] = ['quarantined', 'removed', 'restored'];

export class ThreatsStore {
  constructor(private readonly db: Db) {}

  insert(t: NewThreat, history: { status: ThreatStatus; detail?: string | null; actorUid?: number | null }[]): void {
    this.db.transaction(() => {
      stmt(
        this.db,
        `INSERT INTO threats (id, name, threat_type, path, raw_path, member_path, sha256, size, source, scan_id, engine,
           process_pid, process_name, process_executable, process_uid, detected_at, last_seen_at, occurrences, status)
         VALUES (@id, @name, @threat_type, @path, @raw_path, @member_path, @sha256, @size, @source, @scan_id, @engine,
           @process_pid, @process_name, @process_executable, @process_uid, @detected_at, @detected_at, 1, @status)`,
      ).run(t);
      for (const h of history) this.addHistory(t.id, h.status, t.detected_at, h.detail ?? null, h.actorUid ?? null);
    })();
  }

  /**
   * An earlier record of the same detection (same file, content and name) that is still open,
   * so repeated detections of one file (every open in audit mode) do not flood the table.
   */
  findOpen(path: string, memberPath: string | null, name: string, sha256: string | null): ThreatRow | undefined {
    return stmt(
      this.db,
      `SELECT * FROM threats WHERE path = ? AND member_path IS ? AND name = ? AND sha256 IS ?
         AND status NOT IN (${SETTLED.map(() => '?').join(', ')}) ORDER BY detected_at DESC LIMIT 1`,
    ).get(path, memberPath, name, sha256, ...SETTLED) as ThreatRow | undefined;
  }

  /** Counts one more detection of an open record. */
  seenAgain(id: string, at: number, blocked: boolean): void {
    this.db.transaction(() => {
      stmt(this.db, 'UPDATE threats SET last_seen_at = ?, occurrences = occurrences + 1 WHERE id = ?').run(at, id);
      const row = this.get(id);
      if (blocked && row && row.status === 'detected') this.setStatus(id, 'blocked', at);
    })();
  }

  private addHistory(id: string, status: ThreatStatus, at: number, detail: string | null, actorUid: number | null): void {
    stmt(this.db, 'INSERT INTO threat_history (threat_id, status, at, detail, actor_uid) VALUES (?, ?, ?, ?, ?)').run(id, status, at, detail, actorUid);
  }

  /** Sets the current status and appends it to the history (call inside a caller's transaction when combined). */
  setStatus(id: string, status: ThreatStatus, at: number, detail: string | null = null, actorUid: number | null = null): void {
    stmt(this.db, 'UPDATE threats SET status = ? WHERE id = ?').run(status, id);
    this.addHistory(id, status, at, detail, actorUid);
  }

  /** Fills in the hash of a record detected without one (computed before a manual quarantine). */
  setHash(id: string, sha256: string, size: number): void {
    stmt(this.db, 'UPDATE threats SET sha256 = ?, size = ? WHERE id = ?').run(sha256, size, id);
  }

  get(id: string): ThreatRow | undefined {
    return stmt(this.db, 'SELECT * FROM threats WHERE id = ?').get(id) as ThreatRow | undefined;
  }

  history(id: string): HistoryRow[] {
    return stmt(this.db, 'SELECT status, at, detail, actor_uid FROM threat_history WHERE threat_id = ? ORDER BY id').all(id) as HistoryRow[];
  }

  /** Most recent first. */
  list(limit = 100_000, offset = 0): ThreatRow[] {
    return stmt(this.db, 'SELECT * FROM threats ORDER BY detected_at DESC, rowid DESC LIMIT ? OFFSET ?').all(limit, offset) as ThreatRow[];
  }

  count(): number {
    return (stmt(this.db, 'SELECT count(*) AS n FROM threats').get() as { n: number }).n;
  }

  /** Ids of records past retention: last seen before `cutoff`, or beyond the newest `maxItems`. */
  expired(cutoff: number, maxItems: number, limit: number): string[] {
    const rows = stmt(
      this.db,
      `SELECT id FROM threats WHERE last_seen_at < ?
       UNION
       SELECT id FROM (SELECT id FROM threats ORDER BY last_seen_at DESC, rowid DESC LIMIT -1 OFFSET ?)
       LIMIT ?`,
    ).all(cutoff, maxItems, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  delete(id: string): boolean {
    return stmt(this.db, 'DELETE FROM threats WHERE id = ?').run(id).changes > 0;
  }
}

// src/store/scans.ts — the `scans` and `scan_threats` tables: on-demand scan history for
// `mdatp scan list` and the threats each scan found. Owns the SQL; pruning rules come from the
// caller (scanHistoryMaximumItems, scanResultsRetentionDays).
import { stmt, type Db } from './db.js';
import type { ScanDetails, ScanState, ScanSummary, ScanThreat } from '../scan/types.js';
import type { ScanType } from '../scan/targets.js';

interface ScanRow {
  id: string;
  type: ScanType;
  state: ScanState;
  paths: string;
  ignore_exclusions: number;
  requested_by: number | null;
  started_at: number;
  ended_at: number | null;
  files_scanned: number;
  bytes_scanned: number;
  threats: number;
  skipped: number;
  errors: number;
  details: string | null;
  message: string | null;
}

interface ThreatRow {
  name: string;
  threat_type: ScanThreat['threatType'];
  path: string;
  member_path: string | null;
  engine: string;
  sha256: string | null;
  size: number | null;
  action: ScanThreat['action'] | null;
  threat_id: string | null;
  detected_at: number;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const EMPTY_DETAILS = (): ScanDetails => ({ walk: {} as ScanDetails['walk'], skippedBy: {}, errorsBy: {}, events: [] });

/**
 * The unscanned-member count is kept in the details column (no column of its own: scans recorded
 * before it existed read as 0); it is the summary's `unscanned`, not a detail.
 */
const UNSCANNED_KEY = 'unscannedCount';

function fromRow(r: ScanRow): ScanSummary {
  const { [UNSCANNED_KEY]: unscanned, ...details } = parseJson<ScanDetails & { [UNSCANNED_KEY]?: number }>(r.details, EMPTY_DETAILS());
  return {
    id: r.id,
    type: r.type,
    state: r.state,
    paths: parseJson<string[]>(r.paths, []),
    ignoreExclusions: r.ignore_exclusions === 1,
    requestedBy: r.requested_by,
    startedAt: new Date(r.started_at).toISOString(),
    endedAt: r.ended_at === null ? null : new Date(r.ended_at).toISOString(),
    durationMs: r.ended_at === null ? 0 : r.ended_at - r.started_at,
    filesScanned: r.files_scanned,
    bytesScanned: r.bytes_scanned,
    threatsDetected: r.threats,
    skipped: r.skipped,
    errors: r.errors,
    // Kept in the details JSON (no column of their own): 0 for scans recorded before they existed.
    scanTimeouts: details.scanTimeouts ?? 0,
    unscanned: typeof unscanned === 'number' ? unscanned : 0,
    details,
    message: r.message,
  };
}

export class ScansStore {
  constructor(private readonly db: Db) {}

  insert(s: ScanSummary): void {
    stmt(this.db, 'INSERT INTO scans (id, type, state, paths, ignore_exclusions, requested_by, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(s.id, s.type, s.state, JSON.stringify(s.paths), s.ignoreExclusions ? 1 : 0, s.requestedBy, Date.parse(s.startedAt));
  }

  finish(s: ScanSummary): void {
    stmt(
      this.db,
      'UPDATE scans SET state = ?, ended_at = ?, files_scanned = ?, bytes_scanned = ?, threats = ?, skipped = ?, errors = ?, details = ?, message = ? WHERE id = ?',
    ).run(s.state, s.endedAt === null ? Date.now() : Date.parse(s.endedAt), s.filesScanned, s.bytesScanned, s.threatsDetected, s.skipped, s.errors, JSON.stringify({ ...s.details, [UNSCANNED_KEY]: s.unscanned }), s.message, s.id);
  }

  addThreat(scanId: string, t: ScanThreat, rawPath?: Buffer): void {
    stmt(
      this.db,
      'INSERT INTO scan_threats (scan_id, name, threat_type, path, raw_path, member_path, engine, sha256, size, action, threat_id, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(scanId, t.name, t.threatType, t.path, rawPath ?? null, t.memberPath ?? null, t.engine, t.sha256 ?? null, t.size ?? null, t.action ?? null, t.threatId ?? null, Date.parse(t.detectedAt));
  }

  get(id: string): ScanSummary | null {
    const r = stmt(this.db, 'SELECT * FROM scans WHERE id = ?').get(id) as ScanRow | undefined;
    return r ? fromRow(r) : null;
  }

  /** Most recent first. */
  list(limit: number): ScanSummary[] {
    return (stmt(this.db, 'SELECT * FROM scans ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit) as ScanRow[]).map(fromRow);
  }

  threats(scanId: string): ScanThreat[] {
    const rows = stmt(this.db, 'SELECT * FROM scan_threats WHERE scan_id = ? ORDER BY id').all(scanId) as ThreatRow[];
    return rows.map((r) => ({
      name: r.name,
      threatType: r.threat_type,
      path: r.path,
      ...(r.member_path !== null ? { memberPath: r.member_path } : {}),
      engine: r.engine,
      ...(r.sha256 !== null ? { sha256: r.sha256 } : {}),
      ...(r.size !== null ? { size: r.size } : {}),
      ...(r.action !== null ? { action: r.action } : {}),
      threatId: r.threat_id,
      detectedAt: new Date(r.detected_at).toISOString(),
    }));
  }

  /** Scans left `running` by a daemon that did not stop cleanly. */
  failInterrupted(message: string): number {
    return stmt(this.db, "UPDATE scans SET state = 'failed', ended_at = COALESCE(ended_at, started_at), message = ? WHERE state = 'running'").run(message).changes;
  }

  /** Keeps the newest `maxItems` finished scans and none older than `retentionDays`. */
  prune(maxItems: number, retentionDays: number): number {
    let removed = 0;
    if (retentionDays > 0) {
      removed += stmt(this.db, "DELETE FROM scans WHERE state != 'running' AND started_at < ?").run(Date.now() - retentionDays * 86_400_000).changes;
    }
    removed += stmt(
      this.db,
      "DELETE FROM scans WHERE state != 'running' AND id NOT IN (SELECT id FROM scans WHERE state != 'running' ORDER BY started_at DESC, rowid DESC LIMIT ?)",
    ).run(Math.max(0, maxItems)).changes;
    return removed;
  }
}

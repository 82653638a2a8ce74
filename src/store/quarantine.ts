// src/store/quarantine.ts — the `quarantine` table: the journal of quarantined items. A row
// exists exactly while its file may exist in quarantine/; `state` says which step of an
// operation was last committed (stored → quarantined → restoring|removing → row deleted).
// Owns SQL for this table only. Must not: touch files (src/threats/quarantine.ts does).
import type { Db } from './db.js';

export type QuarantineState = 'stored' | 'quarantined' | 'restoring' | 'removing';

export interface QuarantineRow {
  threat_id: string;
  file: string;
  state: QuarantineState;
  original_path: string;
  raw_path: Buffer | null;
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds as decimal strings (exact; identity checks compare mtime to the nanosecond). */
  atime_ns: string;
  mtime_ns: string;
  dev: string;
  ino: string;
  size: number;
  sha256: string;
  quarantined_at: number;
  op_dest: string | null;
  op_temp: string | null;
}

export class QuarantineStore {
  constructor(private readonly db: Db) {}

  insert(r: Omit<QuarantineRow, 'op_dest' | 'op_temp'>): void {
    this.db
      .prepare(
        `INSERT INTO quarantine (threat_id, file, state, original_path, raw_path, mode, uid, gid, atime_ns, mtime_ns, dev, ino, size, sha256, quarantined_at)
         VALUES (@threat_id, @file, @state, @original_path, @raw_path, @mode, @uid, @gid, @atime_ns, @mtime_ns, @dev, @ino, @size, @sha256, @quarantined_at)`,
      )
      .run(r);
  }

  get(threatId: string): QuarantineRow | undefined {
    return this.db.prepare('SELECT * FROM quarantine WHERE threat_id = ?').get(threatId) as QuarantineRow | undefined;
  }

  byFile(file: string): QuarantineRow | undefined {
    return this.db.prepare('SELECT * FROM quarantine WHERE file = ?').get(file) as QuarantineRow | undefined;
  }

  setState(threatId: string, state: QuarantineState, op: { dest?: string | null; temp?: string | null } = {}): void {
    this.db.prepare('UPDATE quarantine SET state = ?, op_dest = ?, op_temp = ? WHERE threat_id = ?').run(state, op.dest ?? null, op.temp ?? null, threatId);
  }

  delete(threatId: string): void {
    this.db.prepare('DELETE FROM quarantine WHERE threat_id = ?').run(threatId);
  }

  /** Items in the given states, oldest first. */
  inStates(states: QuarantineState[]): QuarantineRow[] {
    return this.db
      .prepare(`SELECT * FROM quarantine WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY quarantined_at, rowid`)
      .all(...states) as QuarantineRow[];
  }

  /** Quarantined items whose file was at `originalPath`, newest first. */
  byOriginalPath(originalPath: string): QuarantineRow[] {
    return this.db
      .prepare(`SELECT * FROM quarantine WHERE original_path = ? AND state = 'quarantined' ORDER BY quarantined_at DESC, rowid DESC`)
      .all(originalPath) as QuarantineRow[];
  }

  files(): Set<string> {
    return new Set((this.db.prepare('SELECT file FROM quarantine').all() as { file: string }[]).map((r) => r.file));
  }
}

// src/store/allowed.ts — the `allowed` table: the local allow list of threat names
// (`mdatp threat allowed add --name`) and file hashes (recorded when a file is restored from
// quarantine). Owns SQL for this table only. Must not: cache (src/threats/allow-list.ts does).
import type { Db } from './db.js';

export type AllowedKind = 'name' | 'sha256';

export interface AllowedRow {
  kind: AllowedKind;
  value: string;
  created_at: number;
  detail: string | null;
}

export class AllowedStore {
  constructor(private readonly db: Db) {}

  all(): AllowedRow[] {
    return this.db.prepare('SELECT kind, value, created_at, detail FROM allowed ORDER BY created_at, rowid').all() as AllowedRow[];
  }

  /** false when it was already there. */
  add(kind: AllowedKind, value: string, detail: string | null = null, at = Date.now()): boolean {
    return this.db.prepare('INSERT INTO allowed (kind, value, created_at, detail) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(kind, value, at, detail).changes > 0;
  }

  remove(kind: AllowedKind, value: string): boolean {
    return this.db.prepare('DELETE FROM allowed WHERE kind = ? AND value = ?').run(kind, value).changes > 0;
  }
}

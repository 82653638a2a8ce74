// src/store/settings.ts — the `settings` table: local settings changed with `mdatp config`,
// stored as JSON values by setting id. Validation is the caller's (src/config/).
import type { Db } from './db.js';

export class SettingsStore {
  constructor(private readonly db: Db) {}

  all(): Map<string, unknown> {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    const out = new Map<string, unknown>();
    for (const r of rows) {
      try {
        out.set(r.key, JSON.parse(r.value));
      } catch {
        // A value we cannot parse is treated as unset; the next write replaces it.
      }
    }
    return out;
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, JSON.stringify(value), Date.now());
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }
}

// src/store/meta.ts — the `meta` table: small persistent facts such as the machine GUID.
import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';

export class MetaStore {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The machine GUID, created once and kept for the life of the database. */
  machineGuid(): string {
    const existing = this.get('machine_guid');
    if (existing) return existing;
    const guid = randomUUID();
    this.set('machine_guid', guid);
    return guid;
  }
}

// src/store/exclusions.ts — the `exclusions` table: exclusions added with `mdatp exclusion`.
import type { Db } from './db.js';
import type { Exclusion } from '../config/settings.js';

interface Row {
  kind: 'path' | 'extension' | 'process';
  value: string;
  is_directory: number;
  scope: 'epp' | 'global';
}

function toRow(e: Exclusion): Row {
  switch (e.kind) {
    case 'path':
      return { kind: 'path', value: e.path, is_directory: e.isDirectory ? 1 : 0, scope: e.scope };
    case 'extension':
      return { kind: 'extension', value: e.extension, is_directory: 0, scope: e.scope };
    case 'process':
      return { kind: 'process', value: e.name, is_directory: 0, scope: e.scope };
  }
}

function fromRow(r: Row): Exclusion {
  switch (r.kind) {
    case 'path':
      return { kind: 'path', path: r.value, isDirectory: r.is_directory === 1, scope: r.scope };
    case 'extension':
      return { kind: 'extension', extension: r.value, scope: r.scope };
    case 'process':
      return { kind: 'process', name: r.value, scope: r.scope };
  }
}

export class ExclusionsStore {
  constructor(private readonly db: Db) {}

  list(): Exclusion[] {
    return (this.db.prepare('SELECT kind, value, is_directory, scope FROM exclusions ORDER BY id').all() as Row[]).map(fromRow);
  }

  /** Returns false when the same exclusion already exists. */
  add(e: Exclusion): boolean {
    const r = toRow(e);
    const info = this.db
      .prepare('INSERT OR IGNORE INTO exclusions (kind, value, is_directory, scope, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(r.kind, r.value, r.is_directory, r.scope, Date.now());
    return info.changes === 1;
  }

  /** Returns false when no such exclusion exists. */
  remove(e: Exclusion): boolean {
    const r = toRow(e);
    const info = this.db
      .prepare('DELETE FROM exclusions WHERE kind = ? AND value = ? AND is_directory = ? AND scope = ?')
      .run(r.kind, r.value, r.is_directory, r.scope);
    return info.changes > 0;
  }
}

// src/store/migrations/index.ts — the ordered list of numbered migrations. Each migration is a
// file NNN-name.ts exporting `up(db)`; numbers are never reused or edited once landed.
// Ranges keep parallel work apart: 001–009 core, 010–019 threats and quarantine,
// 020–029 scans, 030–039 definitions, 040–049 real-time protection.
import type Database from 'better-sqlite3';
import * as m001 from './001-core.js';
import * as m010 from './010-threats.js';
import * as m020 from './020-scans.js';

interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

const MIGRATIONS: Migration[] = [
  { version: 1, name: 'core', up: m001.up },
  { version: 10, name: 'threats', up: m010.up },
  { version: 20, name: 'scans', up: m020.up },
];

export function runMigrations(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}

// 001: local settings, local exclusions, machine metadata.
import type Database from 'better-sqlite3';

export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE exclusions (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('path', 'extension', 'process')),
      value TEXT NOT NULL,
      is_directory INTEGER NOT NULL DEFAULT 0,
      scope TEXT NOT NULL DEFAULT 'epp' CHECK (scope IN ('epp', 'global')),
      created_at INTEGER NOT NULL,
      UNIQUE (kind, value, is_directory, scope)
    );
  `);
}

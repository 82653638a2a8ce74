// 010: threat records with their status history, the quarantine journal (one row per item
// whose file is in quarantine/, with the state of the operation in progress) and the local
// allow list (threat names and file hashes). Owned by src/threats/ (issue 6).
import type Database from 'better-sqlite3';

export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE threats (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      threat_type TEXT NOT NULL,
      path TEXT NOT NULL,
      raw_path BLOB,
      member_path TEXT,
      sha256 TEXT,
      size INTEGER,
      source TEXT NOT NULL,
      scan_id TEXT,
      engine TEXT NOT NULL,
      process_pid INTEGER,
      process_name TEXT,
      process_executable TEXT,
      process_uid INTEGER,
      detected_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      occurrences INTEGER NOT NULL DEFAULT 1,
      status TEXT NOT NULL
    );
    CREATE INDEX threats_last_seen ON threats (last_seen_at);
    CREATE INDEX threats_path ON threats (path);

    CREATE TABLE threat_history (
      id INTEGER PRIMARY KEY,
      threat_id TEXT NOT NULL REFERENCES threats (id) ON DELETE CASCADE,
      status TEXT NOT NULL CHECK (status IN ('detected', 'blocked', 'quarantined', 'quarantine_failed', 'removed', 'restored', 'allowed')),
      at INTEGER NOT NULL,
      detail TEXT,
      actor_uid INTEGER
    );
    CREATE INDEX threat_history_threat ON threat_history (threat_id);

    CREATE TABLE quarantine (
      threat_id TEXT PRIMARY KEY REFERENCES threats (id) ON DELETE CASCADE,
      file TEXT NOT NULL UNIQUE,
      state TEXT NOT NULL CHECK (state IN ('stored', 'quarantined', 'restoring', 'removing')),
      original_path TEXT NOT NULL,
      raw_path BLOB,
      mode INTEGER NOT NULL,
      uid INTEGER NOT NULL,
      gid INTEGER NOT NULL,
      atime_ns TEXT NOT NULL,
      mtime_ns TEXT NOT NULL,
      dev TEXT NOT NULL,
      ino TEXT NOT NULL,
      size INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      quarantined_at INTEGER NOT NULL,
      op_dest TEXT,
      op_temp TEXT
    );
    CREATE INDEX quarantine_original ON quarantine (original_path);

    CREATE TABLE allowed (
      kind TEXT NOT NULL CHECK (kind IN ('name', 'sha256')),
      value TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      detail TEXT,
      PRIMARY KEY (kind, value)
    );
  `);
}

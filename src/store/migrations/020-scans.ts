// 020: on-demand scan history (`mdatp scan list`) and the threats each scan found. Owned by
// src/scan/ (issue 4); pruned by scanHistoryMaximumItems and scanResultsRetentionDays.
import type Database from 'better-sqlite3';

export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE scans (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL CHECK (type IN ('quick', 'full', 'custom')),
      state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
      paths TEXT NOT NULL,
      ignore_exclusions INTEGER NOT NULL DEFAULT 0,
      requested_by INTEGER,
      started_at INTEGER NOT NULL,
      ended_at INTEGER,
      files_scanned INTEGER NOT NULL DEFAULT 0,
      bytes_scanned INTEGER NOT NULL DEFAULT 0,
      threats INTEGER NOT NULL DEFAULT 0,
      skipped INTEGER NOT NULL DEFAULT 0,
      errors INTEGER NOT NULL DEFAULT 0,
      details TEXT,
      message TEXT
    );
    CREATE INDEX scans_started ON scans (started_at);

    CREATE TABLE scan_threats (
      id INTEGER PRIMARY KEY,
      scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      threat_type TEXT NOT NULL,
      path TEXT NOT NULL,
      raw_path BLOB,
      member_path TEXT,
      engine TEXT NOT NULL,
      sha256 TEXT,
      size INTEGER,
      action TEXT,
      threat_id TEXT,
      detected_at INTEGER NOT NULL
    );
    CREATE INDEX scan_threats_scan ON scan_threats (scan_id);
  `);
}

// src/store/db.ts — opens the daemon's SQLite database (better-sqlite3, WAL), checks it, runs
// the numbered migrations. A corrupt file is moved aside (with its -wal/-shm) and a new one is
// created, loudly, so a damaged disk never becomes a crash loop. Owns the connection and
// pragmas. Must not: hold table logic (one module per table in src/store/).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import { WdavError } from '../shared/errors.js';
import { runMigrations } from './migrations/index.js';

export type Db = Database.Database;

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * The prepared statement for `sql` on this connection, compiled once: db.prepare() parses and
 * plans the SQL on every call (tens of microseconds, on the hot path of every detection). Only
 * for SQL whose text is fixed in the code (the cache keeps one entry per distinct text).
 */
export function stmt(db: Db, sql: string): Database.Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

export interface OpenResult {
  db: Db;
  file: string;
  /** Set when a corrupt database was moved aside at startup. */
  recreatedFrom: string | null;
}

export const DB_FILE = 'wdavdaemon.db';

function openAndCheck(file: string): Db {
  const db = new Database(file, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
    runMigrations(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export function openDatabase(stateDir: string, logger: Logger<'verbose'>): OpenResult {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, DB_FILE);
  try {
    return { db: openAndCheck(file), file, recreatedFrom: null };
  } catch (e) {
    const err = e as Error & { code?: string };
    if (!isCorruption(err)) throw new WdavError('WDAV_ERR_DB', `cannot open database ${file}: ${err.message}`, undefined, { cause: e });
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
    }
    logger.error({ file, movedTo: aside, reason: err.message }, 'database is corrupt: moved aside and recreated (local settings, threat history and scan history start empty)');
    return { db: openAndCheck(file), file, recreatedFrom: aside };
  }
}

function isCorruption(e: Error & { code?: string }): boolean {
  return (
    e.code === 'SQLITE_CORRUPT' ||
    e.code === 'SQLITE_NOTADB' ||
    e.code === 'SQLITE_CORRUPT_VTAB' ||
    /quick_check|malformed|not a database/i.test(e.message)
  );
}

/** Full integrity check for diagnostics and tests. */
export function integrityCheck(db: Db): string {
  return String(db.pragma('integrity_check', { simple: true }));
}

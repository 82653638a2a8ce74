// src/threats/quarantine-deps.ts — what the quarantine sequences share (src/threats/quarantine.ts,
// restore.ts, reconcile.ts): their dependencies and the two names both sides must agree on. Its
// own module so restore.ts does not import quarantine.ts, which imports it.
// Owns: these types and names. Must not: touch files or the database.
import type { Db } from '../store/db.js';
import type { QuarantineRow, QuarantineStore } from '../store/quarantine.js';
import type { ThreatsStore } from '../store/threats.js';
import type { AllowList } from './allow-list.js';
import type { FsPath } from './safe-fs.js';

export interface QuarantineDeps {
  db: Db;
  dir: string;
  key: Buffer;
  rows: QuarantineStore;
  threats: ThreatsStore;
  allow: AllowList;
}

export function rowFsPath(r: Pick<QuarantineRow, 'raw_path' | 'original_path'>): FsPath {
  return r.raw_path ?? r.original_path;
}

export function restoreMarker(threatId: string): string {
  return `restored threat ${threatId}`;
}

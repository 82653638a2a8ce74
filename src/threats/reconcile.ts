// src/threats/reconcile.ts — startup reconciliation of the quarantine: every operation a crash
// (or power loss) interrupted is completed or undone, so that afterwards each file is exactly
// once either at its original path, in quarantine with its row, or at its restore destination.
// Rules, by what was last committed (see the step list in src/threats/quarantine.ts):
//   <id>.tmp                    never published: deleted (the original was not touched).
//   <id>.q without a row        authenticated first (src/threats/qfile.ts): one that fails is
//                               planted, edited or of format 1 → reported, left in place, never
//                               adopted. Else its threat was restored/removed → deleted; else if
//                               the original still exists → deleted (the quarantine never
//                               happened); else (the row was lost with the database) → adopted
//                               from its header.
//   row 'stored'                copy missing/damaged → undone (quarantine_failed); original gone
//                               or still the copied file → completed; original changed → undone.
//   row 'restoring'             destination holds the content → completed; else undone.
//   row 'removing'              completed.
//   row 'quarantined', no file  reported (a health issue), never invented.
//   row 'quarantined', format 1 counted and reported: such items cannot be restored (no tag).
// Runs before the API opens, single-threaded. Owns these rules. Must not: log events itself
// (it returns what it did; the service logs).
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { QuarantineRow } from '../store/quarantine.js';
import type { WdavError } from '../shared/errors.js';
import { formatOf, readQuarantineFile, type QHeader } from './qfile.js';
import { Quarantine, Refused, describeFsError, restoreMarker, rowFsPath, rowIdentity, type QuarantineDeps } from './quarantine.js';
import { fsyncDir, inDir, lstatAt, lstatOrNull, openDirNoFollow, sha256OfPath, splitPath, type FsPath } from './safe-fs.js';

export interface ReconcileAction {
  threatId: string;
  file: string;
  /** What was found and what was done, e.g. `stored→quarantined`. */
  outcome: string;
  detail?: string;
}

export interface ReconcileReport {
  actions: ReconcileAction[];
  /** Quarantined items whose file is missing or unreadable (health issues). */
  problems: string[];
  /** Threat ids of quarantined items of format 1 (no tag: never restored; the service reports them). */
  formatOne: string[];
}

export async function reconcile(d: QuarantineDeps, q: Quarantine): Promise<ReconcileReport> {
  const report: ReconcileReport = { actions: [], problems: [], formatOne: [] };
  const act = (threatId: string, file: string, outcome: string, detail?: string) => report.actions.push({ threatId, file, outcome, ...(detail ? { detail } : {}) });

  for (const row of d.rows.inStates(['stored'])) await reconcileStored(d, q, row, act);
  for (const row of d.rows.inStates(['restoring'])) await reconcileRestoring(d, q, row, act);
  for (const row of d.rows.inStates(['removing'])) {
    await q.finishRemove(row.threat_id, 'removal completed at startup', null);
    act(row.threat_id, row.file, 'removing→removed');
  }

  const known = d.rows.files();
  for (const name of await fsp.readdir(d.dir)) {
    const full = path.join(d.dir, name);
    if (name.endsWith('.tmp')) {
      await fsp.rm(full, { force: true });
      act(name.slice(0, -4), name, 'unpublished copy deleted');
    } else if (name.endsWith('.q') && !known.has(name)) {
      await reconcileOrphan(d, full, name, act, report);
    }
  }
  await fsyncDir(d.dir);

  for (const row of d.rows.inStates(['quarantined'])) {
    const file = path.join(d.dir, row.file);
    if (!(await lstatOrNull(file))) report.problems.push(`quarantined file of threat ${row.threat_id} (${row.original_path}) is missing from ${d.dir}`);
    else if ((await formatOf(file).catch(() => null)) === 1) report.formatOne.push(row.threat_id);
  }
  return report;
}

type Act = (threatId: string, file: string, outcome: string, detail?: string) => void;

async function verifies(d: QuarantineDeps, file: string): Promise<boolean> {
  try {
    await readQuarantineFile(file, d.key);
    return true;
  } catch {
    return false;
  }
}

async function reconcileStored(d: QuarantineDeps, q: Quarantine, row: QuarantineRow, act: Act): Promise<void> {
  const file = q.file(row.threat_id);
  const original = await lstatAt(rowFsPath(row));
  if (!(await verifies(d, file))) {
    if (!original) {
      // Cannot happen with the fsync ordering short of disk damage; keep the row so it is seen.
      d.rows.setState(row.threat_id, 'quarantined');
      act(row.threat_id, row.file, 'stored→damaged', 'copy does not verify and the original is gone');
      return;
    }
    await q.fail(row.threat_id, 'interrupted before the copy was complete; the file was left in place', true, null);
    act(row.threat_id, row.file, 'stored→quarantine_failed', 'copy incomplete');
    return;
  }
  try {
    await q.unlinkOriginal(rowFsPath(row), rowIdentity(row));
    q.commitQuarantined(row.threat_id, null);
    act(row.threat_id, row.file, 'stored→quarantined', original ? 'original removed at startup' : 'original already removed');
  } catch (e) {
    const reason = e instanceof Refused ? e.message : describeFsError(e);
    await q.fail(row.threat_id, reason, true, null);
    act(row.threat_id, row.file, 'stored→quarantine_failed', reason);
  }
}

async function reconcileRestoring(d: QuarantineDeps, q: Quarantine, row: QuarantineRow, act: Act): Promise<void> {
  const undo = (detail: string) => {
    d.db.transaction(() => {
      d.rows.setState(row.threat_id, 'quarantined');
      d.allow.removeIfDetail('sha256', row.sha256, restoreMarker(row.threat_id));
    })();
    act(row.threat_id, row.file, 'restoring→quarantined', detail);
  };
  if (!row.op_dest) return undo('no destination recorded');
  let dir;
  try {
    dir = await openDirNoFollow(row.op_dest);
  } catch (e) {
    return undo(`destination unusable: ${describeFsError(e)}`);
  }
  try {
    const { base } = splitPath(rowFsPath(row));
    const final = inDir(dir, base);
    const st = await lstatOrNull(final);
    const complete = st !== null && st.isFile() && Number(st.size) === row.size && (await sha256OfPath(final)) === row.sha256;
    if (row.op_temp) {
      await fsp.rm(inDir(dir, row.op_temp), { force: true });
      await dir.sync();
    }
    if (!complete) return undo(st ? 'destination holds other content' : 'destination file not published');
    const destFull = path.join(row.op_dest, base.toString('utf8'));
    d.db.transaction(() => {
      d.rows.delete(row.threat_id);
      d.threats.setStatus(row.threat_id, 'restored', Date.now(), destFull, null);
      d.allow.add('sha256', row.sha256, restoreMarker(row.threat_id));
    })();
    await fsp.rm(q.file(row.threat_id), { force: true });
    act(row.threat_id, row.file, 'restoring→restored', destFull);
  } finally {
    await dir.close();
  }
}

async function reconcileOrphan(d: QuarantineDeps, full: string, name: string, act: Act, report: ReconcileReport): Promise<void> {
  let header: QHeader;
  try {
    // Nothing in a header is acted on before the whole item authenticates: a planted item
    // could otherwise name any path, owner and mode for a later restore.
    header = await readQuarantineFile(full, d.key);
  } catch (e) {
    const err = e as Partial<WdavError>;
    const why = err.code === 'WDAV_ERR_QUARANTINE_UNAUTHENTIC' ? String(err.details?.why) : null;
    report.problems.push(`quarantine file ${name} has no record and ${why ? `failed authentication (${why})` : `does not verify (${describeFsError(e)})`}; not adopted, left in place`);
    return;
  }
  if (name !== `${header.threatId}.q`) {
    report.problems.push(`quarantine file ${name} has no record and holds the item of threat ${header.threatId}; not adopted, left in place`);
    return;
  }
  const threat = d.threats.get(header.threatId);
  if (threat && (threat.status === 'restored' || threat.status === 'removed')) {
    await fsp.rm(full, { force: true });
    return act(header.threatId, name, `orphan deleted (threat ${threat.status})`);
  }
  const originalPath: FsPath = header.rawPath ? Buffer.from(header.rawPath, 'base64') : header.path;
  if (await lstatAt(originalPath)) {
    await fsp.rm(full, { force: true });
    return act(header.threatId, name, 'orphan deleted (original still in place)');
  }
  adopt(d, header, name, threat === undefined);
  act(header.threatId, name, 'orphan adopted', 'record rebuilt from the quarantine file header');
}

function adopt(d: QuarantineDeps, h: QHeader, file: string, newThreat: boolean): void {
  const now = Date.now();
  const rawPath = h.rawPath ? Buffer.from(h.rawPath, 'base64') : null;
  d.db.transaction(() => {
    if (newThreat) {
      d.threats.insert(
        {
          id: h.threatId, name: h.name, threat_type: h.threatType, path: h.path, raw_path: rawPath, member_path: h.memberPath,
          sha256: h.sha256, size: h.size, source: h.source, scan_id: null, engine: h.engine,
          process_pid: null, process_name: null, process_executable: null, process_uid: null,
          detected_at: h.detectedAt, status: 'detected',
        },
        [{ status: 'detected' }],
      );
    }
    d.rows.insert({
      threat_id: h.threatId, file, state: 'quarantined', original_path: h.path, raw_path: rawPath, mode: h.mode, uid: h.uid, gid: h.gid,
      atime_ns: h.atimeNs, mtime_ns: h.mtimeNs, dev: h.dev, ino: h.ino, size: h.size, sha256: h.sha256, quarantined_at: h.quarantinedAt,
    });
    d.threats.setStatus(h.threatId, 'quarantined', now, 'recovered from the quarantine file at startup', null);
  })();
}

// src/threats/quarantine.ts — moving a detected file into quarantine, restoring it, and
// deleting it, each as a journal of committed steps so that at every instant the file exists
// at its original path or as a verified quarantine copy with a committed record
// (ARCHITECTURE §3.6; the argument is in docs/threats.md):
//   quarantine: copy to <id>.tmp (from the event fd or the path) + fsync → verify → rename to
//     <id>.q + fsync dir → row 'stored' committed → original still the same file? → unlink +
//     fsync its dir → row 'quarantined' committed.
//   restore:    row 'restoring' (+ hash allowed) committed → decrypt into a temp file in the
//     destination + fsync → link to the final name (never overwrites) → fsync dir → row deleted,
//     status 'restored' committed → <id>.q unlinked (src/threats/restore.ts).
//   remove:     row 'removing' committed → <id>.q unlinked → row deleted, status committed.
// Half-finished steps are completed or undone by src/threats/reconcile.ts at startup.
// Callers serialize per threat (src/threats/service.ts). Owns these sequences. Must not: decide
// whether to quarantine, or log events (the service does both).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { QuarantineRow } from '../store/quarantine.js';
import type { ThreatRow } from '../store/threats.js';
import { WdavError } from '../shared/errors.js';
import { isStorageFull } from '../store/storage-health.js';
import { readQuarantineFile, writeQuarantineFile } from './qfile.js';
import { restoreItem } from './restore.js';
import { rowFsPath, type QuarantineDeps } from './quarantine-deps.js';
import { PathWalkError, fsyncDir, identityOf, inDir, lstatAt, lstatOrNull, openAt, openParent, sameIdentity, type FsPath, type Identity } from './safe-fs.js';

export { restoreMarker, rowFsPath, type QuarantineDeps } from './quarantine-deps.js';

/**
 * `cause`: the error that stopped the quarantine, if it was one (not a refusal); `recordError`:
 * the error that kept the outcome from being recorded (the database full, typically).
 */
export type QuarantineResult = { ok: true } | { ok: false; reason: string; cause?: unknown; recordError?: unknown };

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;

/** A file-level reason not to go on (answered as quarantine_failed, not thrown to callers). */
export class Refused extends Error {}

export class Quarantine {
  constructor(private readonly d: QuarantineDeps) {}

  file(threatId: string): string {
    return path.join(this.d.dir, `${threatId}.q`);
  }

  /** Quarantines the file of `t` (whose sha256 must be known). Never throws for a file problem: answers why. */
  async quarantine(t: ThreatRow, opts: { fd?: number; actorUid?: number | null } = {}): Promise<QuarantineResult> {
    const fsPath: FsPath = t.raw_path ?? t.path;
    const tmp = path.join(this.d.dir, `${t.id}.tmp`);
    const final = this.file(t.id);
    let fd = opts.fd;
    let own = false;
    let published = false;
    let originalGone = false;
    try {
      if (!t.sha256) throw new Refused('the file hash is unknown');
      if (fd === undefined) {
        fd = await openSource(fsPath);
        own = true;
      }
      const st = await statFd(fd);
      if (!st.isFile()) throw new Refused('not a regular file');
      const at = await lstatAt(fsPath);
      if (!at) throw new Refused('the file no longer exists at its path');
      if (at.dev !== st.dev || at.ino !== st.ino) throw new Refused('the path now names another file');
      await fsp.rm(tmp, { force: true });
      const out = await fsp.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      let copied: { sha256: string; size: number };
      try {
        copied = await writeQuarantineFile(out, this.d.key, headerFields(t, st), fd);
        await out.sync();
      } finally {
        await out.close();
      }
      if (!sameIdentity(identityOf(st), identityOf(await statFd(fd)))) throw new Refused('the file changed while it was copied');
      if (copied.sha256 !== t.sha256) throw new Refused('the file changed since it was scanned (sha256 differs)');
      await readQuarantineFile(tmp, this.d.key);
      await fsp.rename(tmp, final);
      published = true;
      await fsyncDir(this.d.dir);
      this.d.rows.insert(rowOf(t, st, `${t.id}.q`));
      await this.unlinkOriginal(fsPath, identityOf(st));
      originalGone = true;
      this.commitQuarantined(t.id, opts.actorUid ?? null);
      return { ok: true };
    } catch (e) {
      const cause = e instanceof Refused ? undefined : e;
      const reason = cause === undefined ? (e as Error).message : isStorageFull(e) ? `no room for the copy in ${this.d.dir} (${describeFsError(e)}); the file was left in place` : describeFsError(e);
      // Once the original is gone the copy is the file: never undo; startup completes the step.
      if (originalGone) return { ok: false, reason: `${reason} (the copy is kept; the operation completes at the next start)`, cause };
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      try {
        await this.fail(t.id, reason, published, opts.actorUid ?? null);
      } catch (recordError) {
        // Nothing is lost: the original is in place, the copy is gone (or its row 'stored' has
        // the next start finish the undo). Only the record cannot say why: the caller logs it.
        return { ok: false, reason: `${reason}; the outcome could not be recorded (${describeFsError(recordError)})`, cause, recordError };
      }
      return { ok: false, reason, cause };
    } finally {
      if (own && fd !== undefined) fs.close(fd, () => undefined);
    }
  }

  /** Step 3 of quarantine (also used by reconciliation): unlink the original if it is still the copied file. */
  async unlinkOriginal(fsPath: FsPath, copied: Identity): Promise<void> {
    let opened;
    try {
      opened = await openParent(fsPath);
    } catch (e) {
      // A directory on the way is gone: so is the original, and the copy is the file now.
      if (e instanceof PathWalkError && e.missing) return;
      throw new Refused(`cannot open the file's directory: ${describeFsError(e)}`);
    }
    const { dir, base } = opened;
    try {
      const name = inDir(dir, base);
      const now = await lstatOrNull(name);
      if (!now) return;
      if (!sameIdentity(identityOf(now), copied)) throw new Refused('the file changed before it could be removed; it was left in place');
      await fsp.unlink(name).catch((e) => {
        throw new Refused(`cannot remove the original: ${describeFsError(e)}`);
      });
      await dir.sync().catch(() => undefined);
    } finally {
      await dir.close();
    }
  }

  commitQuarantined(threatId: string, actorUid: number | null): void {
    this.d.db.transaction(() => {
      this.d.rows.setState(threatId, 'quarantined');
      this.d.threats.setStatus(threatId, 'quarantined', Date.now(), null, actorUid);
    })();
  }

  /** Undoes a quarantine that cannot complete: the copy (when published) goes first, then the row and status commit. */
  async fail(threatId: string, reason: string, published: boolean, actorUid: number | null): Promise<void> {
    if (published) {
      await fsp.rm(this.file(threatId), { force: true });
      await fsyncDir(this.d.dir);
    }
    this.d.db.transaction(() => {
      this.d.rows.delete(threatId);
      this.d.threats.setStatus(threatId, 'quarantine_failed', Date.now(), reason, actorUid);
    })();
  }

  /** Restores into `destDir` under the original name (src/threats/restore.ts); answers the full destination path. */
  restore(threatId: string, destDir: string, actorUid: number | null): Promise<string> {
    return restoreItem(this.d, this.file(threatId), threatId, destDir, actorUid);
  }

  /** Deletes the quarantined copy for good. */
  async remove(threatId: string, detail: string, actorUid: number | null): Promise<QuarantineRow> {
    const row = this.d.rows.get(threatId);
    if (!row || row.state !== 'quarantined') throw new WdavError('WDAV_ERR_NOT_QUARANTINED', `threat ${threatId} is not in quarantine`);
    this.d.rows.setState(threatId, 'removing');
    await this.finishRemove(threatId, detail, actorUid);
    return row;
  }

  async finishRemove(threatId: string, detail: string, actorUid: number | null): Promise<void> {
    await fsp.rm(this.file(threatId), { force: true });
    await fsyncDir(this.d.dir);
    this.d.db.transaction(() => {
      this.d.rows.delete(threatId);
      this.d.threats.setStatus(threatId, 'removed', Date.now(), detail, actorUid);
    })();
  }
}

async function openSource(p: FsPath): Promise<number> {
  try {
    return await openAt(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || (e instanceof PathWalkError && e.missing)) throw new Refused('the file no longer exists at its path');
    if (code === 'ELOOP') throw new Refused('the path is a symbolic link');
    throw new Refused(`cannot open the file: ${describeFsError(e)}`);
  }
}

function statFd(fd: number): Promise<fs.BigIntStats> {
  return new Promise((resolve, reject) => fs.fstat(fd, { bigint: true }, (e, st) => (e ? reject(e) : resolve(st))));
}

function headerFields(t: ThreatRow, st: fs.BigIntStats) {
  return {
    threatId: t.id,
    name: t.name,
    threatType: t.threat_type,
    path: t.path,
    rawPath: t.raw_path ? t.raw_path.toString('base64') : null,
    memberPath: t.member_path,
    source: t.source,
    engine: t.engine,
    detectedAt: t.detected_at,
    quarantinedAt: Date.now(),
    sha256: t.sha256!,
    size: Number(st.size),
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    atimeNs: st.atimeNs.toString(),
    mtimeNs: st.mtimeNs.toString(),
    dev: st.dev.toString(),
    ino: st.ino.toString(),
  };
}

function rowOf(t: ThreatRow, st: fs.BigIntStats, file: string): Omit<QuarantineRow, 'op_dest' | 'op_temp'> {
  return {
    threat_id: t.id,
    file,
    state: 'stored',
    original_path: t.path,
    raw_path: t.raw_path,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    atime_ns: st.atimeNs.toString(),
    mtime_ns: st.mtimeNs.toString(),
    dev: st.dev.toString(),
    ino: st.ino.toString(),
    size: Number(st.size),
    sha256: t.sha256!,
    quarantined_at: Date.now(),
  };
}

export function rowIdentity(r: QuarantineRow): Identity {
  return { dev: BigInt(r.dev), ino: BigInt(r.ino), size: BigInt(r.size), mtimeNs: BigInt(r.mtime_ns) };
}

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && !(e instanceof WdavError)) return `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}`;
  return (e as Error)?.message ?? String(e);
}

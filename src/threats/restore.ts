// src/threats/restore.ts — restoring a quarantined item (the restore sequence of
// src/threats/quarantine.ts): row 'restoring' + hash allowed → decrypt into a temp file in the
// destination (opened without following links) with content, owner, mode and times + fsync →
// hard link to the final name (never overwrites) → fsync → row deleted, status 'restored' →
// quarantine file unlinked. A failure before the link undoes the first step.
// Owns this sequence. Must not: check policy (disallowedThreatActions is the service's).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import { readQuarantineFile } from './qfile.js';
import { restoreMarker, rowFsPath, type QuarantineDeps } from './quarantine-deps.js';
import { fsyncDir, inDir, lstatOrNull, openDirNoFollow, splitPath, toBuffer, writeAll } from './safe-fs.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

export async function restoreItem(d: QuarantineDeps, qfile: string, threatId: string, destDir: string, actorUid: number | null): Promise<string> {
  const row = d.rows.get(threatId);
  if (!row || row.state !== 'quarantined') throw new WdavError('WDAV_ERR_NOT_QUARANTINED', `threat ${threatId} is not in quarantine`);
  const dir = await openDirNoFollow(destDir);
  const normDir = path.normalize(destDir);
  const { base } = splitPath(rowFsPath(row));
  const destFull = Buffer.concat([toBuffer(normDir === '/' ? '' : normDir), Buffer.from('/'), base]).toString('utf8');
  const temp = `.wdav-restore-${randomBytes(6).toString('hex')}.tmp`;
  const marker = restoreMarker(threatId);
  let linked = false;
  try {
    if (await lstatOrNull(inDir(dir, base))) throw new WdavError('WDAV_ERR_RESTORE_DESTINATION_EXISTS', `refusing to overwrite ${destFull}: a file with this name exists`);
    // Allowed before the file appears, so real-time protection does not take it again.
    d.db.transaction(() => {
      d.rows.setState(threatId, 'restoring', { dest: normDir, temp });
      d.allow.add('sha256', row.sha256, marker);
    })();
    const out = await fsp.open(inDir(dir, temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      // Authenticated before a byte is written, and bound to this threat's record.
      await readQuarantineFile(qfile, d.key, (chunk) => writeAll(out, chunk), { threatId, sha256: row.sha256 });
      await out.chown(row.uid, row.gid).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPERM' || process.getuid?.() === 0) throw e;
      });
      await out.chmod(row.mode);
      await out.utimes(nsToSeconds(row.atime_ns), nsToSeconds(row.mtime_ns));
      await out.sync();
    } finally {
      await out.close();
    }
    const how = await publish(inDir(dir, temp), inDir(dir, base), destFull);
    linked = true;
    if (how === 'linked') await fsp.unlink(inDir(dir, temp));
    await dir.sync();
    d.db.transaction(() => {
      d.rows.delete(threatId);
      d.threats.setStatus(threatId, 'restored', Date.now(), destFull, actorUid);
    })();
    await fsp.rm(qfile, { force: true });
    await fsyncDir(d.dir);
    return destFull;
  } catch (e) {
    if (!linked) {
      await fsp.rm(inDir(dir, temp), { force: true }).catch(() => undefined);
      d.db.transaction(() => {
        d.rows.setState(threatId, 'quarantined');
        d.allow.removeIfDetail('sha256', row.sha256, marker);
      })();
    }
    throw e;
  } finally {
    await dir.close();
  }
}

/** Makes `temp` appear as `final` atomically and only if `final` does not exist. */
async function publish(temp: Buffer, final: Buffer, shown: string): Promise<'linked' | 'renamed'> {
  try {
    await fsp.link(temp, final);
    return 'linked';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new WdavError('WDAV_ERR_RESTORE_DESTINATION_EXISTS', `refusing to overwrite ${shown}: a file with this name exists`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw e;
    // File systems without hard links (vfat): rename after a last check; a small window remains.
    if (await lstatOrNull(final)) throw new WdavError('WDAV_ERR_RESTORE_DESTINATION_EXISTS', `refusing to overwrite ${shown}: a file with this name exists`);
    await fsp.rename(temp, final);
    return 'renamed';
  }
}

export function nsToSeconds(ns: string): number {
  return Number(BigInt(ns) / 1000n) / 1e6;
}

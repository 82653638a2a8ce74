// src/scanner/identity.ts — which user wdav-scanner runs as. As root: the user named by
// --scanner-user / WDAV_SCANNER_USER, else `mdatp` (created by systemd-sysusers from
// systemd/wdavdaemon.sysusers), else `nobody` with a warning; never root. Not root (a developer
// running the daemon as themselves): the daemon's own user, since it cannot switch to another.
// Owns: that choice. Must not: start anything.
import { etcEntry } from '../shared/etc-files.js';
import os from 'node:os';
import { WdavError } from '../shared/errors.js';

export interface ScannerIdentity {
  user: string;
  uid: number;
  gid: number;
  /** Why this user, when it is not the configured one (a warning for the log). */
  fallback: string | null;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** A user by name from /etc/passwd, or null. */
export function lookupUser(name: string, passwdFile = '/etc/passwd'): PasswdEntry | null {
  const [, , uid, gid] = etcEntry(passwdFile, name) ?? [];
  return uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid) ? { name, uid: Number(uid), gid: Number(gid) } : null;
}

export const DEFAULT_SCANNER_USER = 'mdatp';

export function scannerIdentity(configured: string | null, o: { euid?: number; passwdFile?: string } = {}): ScannerIdentity {
  const euid = o.euid ?? process.geteuid?.() ?? 0;
  if (euid !== 0) {
    const me = os.userInfo();
    return { user: me.username, uid: me.uid, gid: me.gid, fallback: configured ? `not root: the scanner runs as the daemon's own user ${me.username}, not ${configured}` : null };
  }
  const want = configured ?? DEFAULT_SCANNER_USER;
  let entry = lookupUser(want, o.passwdFile);
  let fallback: string | null = null;
  if (!entry) {
    if (configured) throw new WdavError('WDAV_ERR_SCANNER', `the scanner user ${configured} (--scanner-user) does not exist`);
    entry = lookupUser('nobody', o.passwdFile);
    if (!entry) throw new WdavError('WDAV_ERR_SCANNER', `neither the scanner user ${DEFAULT_SCANNER_USER} nor nobody exists: create ${DEFAULT_SCANNER_USER} (systemd-sysusers) or give --scanner-user`);
    fallback = `the user ${DEFAULT_SCANNER_USER} does not exist, so the scanner runs as nobody; create it (systemd-sysusers wdavdaemon.conf) to give the scanner a user of its own`;
  }
  if (entry.uid === 0 || entry.gid === 0) throw new WdavError('WDAV_ERR_SCANNER', `the scanner user ${entry.name} is root (uid or gid 0): give an unprivileged user`);
  return { user: entry.name, uid: entry.uid, gid: entry.gid, fallback };
}

// src/threats/detection.ts — what the threat service checks and completes in a detection event
// before it records it: the event is well-formed (it comes from another component; a bad one
// is refused with a coded error, never recorded), and the file's sha256 when the scanner did
// not compute it (through the event fd when there is one). Owns these two steps only.
import fs from 'node:fs';
import { THREAT_TYPES } from '../engine/types.js';
import { WdavError } from '../shared/errors.js';
import { openAt, sha256OfFd } from './safe-fs.js';
import type { DetectionEvent } from './types.js';

const SOURCES = ['real_time', 'on_write', 'on_demand'];

export function validateDetection(ev: DetectionEvent): void {
  const bad = (m: string) => new WdavError('WDAV_ERR_INVALID_ARGUMENT', `invalid detection event: ${m}`);
  if (typeof ev.name !== 'string' || ev.name.length === 0 || ev.name.length > 1024) throw bad('name');
  if (!(THREAT_TYPES as readonly string[]).includes(ev.threatType)) throw bad(`threat type ${JSON.stringify(ev.threatType)}`);
  if (typeof ev.path !== 'string' || !ev.path.startsWith('/')) throw bad('path must be absolute');
  if (!SOURCES.includes(ev.source)) throw bad(`source ${JSON.stringify(ev.source)}`);
  if (ev.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(ev.sha256)) throw bad('sha256');
  if (ev.fd !== undefined && (!Number.isInteger(ev.fd) || ev.fd < 0)) throw bad('fd');
}

/** sha256 and size of a detected file, or nulls (with the size given) when it cannot be read any more. */
export async function hashDetectedFile(p: string | Buffer, fd: number | undefined, size: number | null): Promise<{ sha256: string | null; size: number | null }> {
  let own: number | undefined;
  try {
    // Relative to its open directory: a path beyond PATH_MAX is a path like any other.
    if (fd === undefined) own = await openAt(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd ?? own!).isFile()) return { sha256: null, size };
    return await sha256OfFd(fd ?? own!);
  } catch {
    // The file may be gone already; the record keeps what is known.
    return { sha256: null, size };
  } finally {
    if (own !== undefined) fs.closeSync(own);
  }
}

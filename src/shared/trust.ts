// src/shared/trust.ts — the one place that decides whether a file or directory may be trusted
// (ARCHITECTURE §3.9, sshd's StrictModes): what the daemon obeys or reads back (managed config,
// definitions, state, quarantine) must be something only root or the daemon's own user could
// have written. The rule, for a target path:
//   - the target is owned by root or the daemon's uid and not writable by group or others, and
//     is of the expected type (directory; regular file);
//   - a file's own directory, the same;
//   - every directory above, up to `/`, is owned by root or the daemon's uid and is either not
//     writable by group or others, or sticky (as /tmp is: others may add names there, but may
//     not rename or remove ours). Group-writable is refused like world-writable, as sshd does:
//     a group is more users than the owner.
//   Symbolic links on the way are followed and their targets checked in turn (a link sits in a
//   directory that passed the check, so only a trusted user could have placed it).
// Once a path passes, nobody else can change what it names: changing an entry needs write
// permission on its directory, which the rule gives only to trusted users. The bounded reader
// (`readTrusted`) adds what a path check cannot: no following a last link, no blocking on a
// FIFO, the owner and mode checked on the open fd itself, and at most cap + 1 bytes read.
// Owns the rule, its messages and the bounded read. Must not: decide what a caller does with
// a refusal (refuse to start, ignore the file, skip it and report).
import fs from 'node:fs';
import path from 'node:path';
import { WdavError } from './errors.js';

export type TrustKind = 'file' | 'dir';

/** Why a path is not trusted: the path at fault, what is wrong with it, the fix. */
export interface TrustProblem {
  path: string;
  problem: string;
  fix: string;
}

/** A refused path; the message is one line: `<path> <problem>: not trusted; fix: <fix>`. */
export class UntrustedPathError extends WdavError {
  constructor(
    readonly problem: TrustProblem,
    readonly target: string,
    /** Put before the message, e.g. `refusing to start`. */
    context?: string,
  ) {
    super('WDAV_ERR_UNTRUSTED_PATH', `${context ? `${context}: ` : ''}${describeProblem(problem, target)}`, { path: problem.path, target, problem: problem.problem, fix: problem.fix });
  }
}

/** What is wrong, for a report that already names `subject`: `[path at fault] problem: not trusted; fix: ...`. */
export function problemAfter(p: TrustProblem, subject: string): string {
  return `${p.path === subject ? '' : `${p.path} `}${p.problem}: not trusted; fix: ${p.fix}`;
}

export function describeProblem(p: TrustProblem, target: string): string {
  const where = p.path === target ? p.path : `${p.path} (on the way to ${target})`;
  return `${where} ${p.problem}: not trusted; fix: ${p.fix}`;
}

/** Root and the daemon's own uid (a daemon run by a plain user trusts that user). */
export function trustedUids(): number[] {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

const MAX_LINKS = 40;
const S_ISVTX = 0o1000;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function chownFix(p: string): string {
  const uid = process.getuid?.() ?? 0;
  return `chown ${uid === 0 ? 'root' : uid} ${p}`;
}

function writers(mode: number): string | null {
  const g = (mode & 0o020) !== 0;
  const o = (mode & 0o002) !== 0;
  return g && o ? 'group and others' : g ? 'group' : o ? 'others' : null;
}

function typeName(st: fs.Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The rule for a path that is itself trusted (a target, or a file's own directory). */
export function strictProblem(p: string, st: fs.Stats, kind: TrustKind, uids: readonly number[] = trustedUids()): TrustProblem | null {
  if (kind === 'dir' && !st.isDirectory()) return { path: p, problem: `is ${typeName(st)}, not a directory`, fix: `replace ${p} with a directory` };
  if (kind === 'file' && !st.isFile()) return { path: p, problem: `is ${typeName(st)}, not a regular file`, fix: `replace ${p} with a regular file` };
  if (!uids.includes(st.uid)) return { path: p, problem: `is owned by uid ${st.uid}, not by ${ownersText(uids)}`, fix: chownFix(p) };
  const w = writers(st.mode);
  if (w) return { path: p, problem: `is writable by ${w} (mode ${octal(st.mode)})`, fix: `chmod go-w ${p}` };
  return null;
}

/** The rule for a directory above the target: writable by others only when sticky. */
function ancestorProblem(p: string, st: fs.Stats, uids: readonly number[]): TrustProblem | null {
  if (!uids.includes(st.uid)) return { path: p, problem: `is owned by uid ${st.uid}, not by ${ownersText(uids)}`, fix: chownFix(p) };
  const w = writers(st.mode);
  if (w && (st.mode & S_ISVTX) === 0) return { path: p, problem: `is writable by ${w} and not sticky (mode ${octal(st.mode)})`, fix: `chmod go-w ${p}` };
  return null;
}

function ownersText(uids: readonly number[]): string {
  return uids.length === 1 ? 'root' : `root or the daemon's user (uid ${uids[uids.length - 1]})`;
}

export type TrustResult = { ok: true; real: string } | { ok: false; missing: true; at: string } | { ok: false; missing?: false; problem: TrustProblem };

/**
 * Checks `target` (absolute or relative to the working directory) and every directory on the
 * way to it, following symbolic links. Answers the real path when trusted, `missing` (with the
 * first name that does not exist) when a component is absent, or the first problem found.
 */
export function checkTrusted(target: string, kind: TrustKind, uids: readonly number[] = trustedUids()): TrustResult {
  const todo = path.resolve(target).split('/').filter(Boolean);
  let real = '/';
  const rootProblem = ancestorProblem('/', fs.statSync('/'), uids);
  if (rootProblem) return { ok: false, problem: rootProblem };
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      // `real` and everything above it was checked on the way down.
      real = path.dirname(real);
      continue;
    }
    const next = path.join(real, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, missing: true, at: next };
      throw e;
    }
    if (st.isSymbolicLink()) {
      // The link sits in `real`, which passed: only a trusted user could have placed it.
      if (++links > MAX_LINKS) return { ok: false, problem: { path: next, problem: 'has too many levels of symbolic links', fix: `give ${target} without the loop of links` } };
      const to = fs.readlinkSync(next);
      todo.unshift(...to.split('/').filter(Boolean));
      if (path.isAbsolute(to)) real = '/';
      continue;
    }
    const last = todo.every((n) => n === '.');
    if (st.isDirectory()) {
      // The target itself gets the strict rule below.
      const problem = last ? null : ancestorProblem(next, st, uids);
      if (problem) return { ok: false, problem };
    } else if (!last) {
      return { ok: false, problem: { path: next, problem: `is ${typeName(st)}, not a directory`, fix: `replace ${next} with a directory` } };
    }
    real = next;
  }
  // The target itself, and a file's own directory (which could swap the file), by the strict rule.
  if (kind === 'file') {
    const dirProblem = strictProblem(path.dirname(real), fs.lstatSync(path.dirname(real)), 'dir', uids);
    if (dirProblem) return { ok: false, problem: dirProblem };
  }
  const problem = strictProblem(real, fs.lstatSync(real), kind, uids);
  if (problem) return { ok: false, problem };
  return { ok: true, real };
}

/** Throws UntrustedPathError for a problem; answers the real path, or null when missing. */
export function assertTrusted(target: string, kind: TrustKind, uids: readonly number[] = trustedUids()): string | null {
  const r = checkTrusted(target, kind, uids);
  if (r.ok) return r.real;
  if (r.missing) return null;
  throw new UntrustedPathError(r.problem, target);
}

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;

/**
 * Reads a trusted regular file of at most `cap` bytes. The directories are checked by path;
 * the file itself is opened without following a link and without blocking (a FIFO or a device
 * never hangs or floods the daemon), then its type, owner and mode are checked on the open fd
 * (what is read is what was checked), and at most cap + 1 bytes are read. Throws ENOENT as
 * fs does (callers tell "absent" from "refused"), UntrustedPathError, or WDAV_ERR_FILE_TOO_LARGE.
 */
export function readTrusted(file: string, cap: number, uids: readonly number[] = trustedUids()): Buffer {
  const abs = path.resolve(file);
  const dir = checkTrusted(path.dirname(abs), 'dir', uids);
  if (!dir.ok) {
    if (dir.missing) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${abs}'`), { code: 'ENOENT', path: abs });
    throw new UntrustedPathError(dir.problem, abs);
  }
  let fd: number;
  try {
    fd = fs.openSync(abs, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UntrustedPathError({ path: abs, problem: 'is a symbolic link', fix: `replace the link ${abs} with the file itself` }, abs);
    }
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    const problem = strictProblem(abs, st, 'file', uids);
    if (problem) throw new UntrustedPathError(problem, abs);
    const buf = Buffer.allocUnsafe(Math.min(cap + 1, Math.max(st.size + 1, 4096)));
    let n = 0;
    let out = buf;
    for (;;) {
      if (n === out.length) {
        if (out.length > cap) break;
        const bigger = Buffer.allocUnsafe(Math.min(cap + 1, out.length * 2));
        out.copy(bigger, 0, 0, n);
        out = bigger;
      }
      const r = fs.readSync(fd, out, n, out.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > cap) throw new WdavError('WDAV_ERR_FILE_TOO_LARGE', `${abs} is larger than ${cap} bytes`, { path: abs, cap });
    return out.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

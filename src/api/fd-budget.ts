// src/api/fd-budget.ts — how many control-socket connections the daemon can afford under its
// open-file limit (RLIMIT_NOFILE; Node raises the soft limit to the hard one at start). Every
// connection is an fd; so is every real-time event waiting for a verdict (the kernel's event fd
// plus the dup JS scans through) and every file or directory an on-demand scan has open. When
// the fds are gone the kernel denies permission events by itself, so the connection caps must
// leave those reserves whole: with too small a limit the caps shrink (to small floors that
// keep the control socket usable) and the caller logs why. Owns: the arithmetic only.
import type { ConnectionLimits } from './connections.js';

/** The daemon's own files: database, definitions, stdio, libuv, threads, journald. */
export const BASE_RESERVE = 256;
/** On-demand scans: directory fds of a walk and the files of the batches in flight. */
export const SCAN_RESERVE = 1024;
/** Below these the caps never go: the control socket must stay usable at all. */
export const FLOOR: ConnectionLimits = { admin: 8, total: 8, perUid: 4 };

export interface ConnectionBudget {
  /** RLIMIT_NOFILE (soft), or null when unknown. */
  fdLimit: number | null;
  reserve: { base: number; rtp: number; scans: number; refusing: number };
  /** fds left for connections after the reserves (negative when the limit does not cover them). */
  available: number | null;
  limits: ConnectionLimits;
  /** Why the configured caps were lowered, or null when they fit. */
  shrunk: string | null;
}

/**
 * The caps to use: the configured ones when the limit leaves room for them, else as much as
 * the limit leaves (administrators first), never below FLOOR.
 */
export function planConnections(wanted: ConnectionLimits, fdLimit: number | null, rtpReserve: number, refusing: number): ConnectionBudget {
  const reserve = { base: BASE_RESERVE, rtp: rtpReserve, scans: SCAN_RESERVE, refusing };
  if (fdLimit === null || !Number.isFinite(fdLimit)) return { fdLimit, reserve, available: null, limits: { ...wanted }, shrunk: null };
  const available = fdLimit - reserve.base - reserve.rtp - reserve.scans - reserve.refusing;
  if (available >= wanted.admin + wanted.total) return { fdLimit, reserve, available, limits: { ...wanted }, shrunk: null };
  const admin = Math.min(wanted.admin, Math.max(FLOOR.admin, Math.floor(available / 4)));
  const total = Math.min(wanted.total, Math.max(FLOOR.total, available - admin));
  // One uid never gets more than half of a lowered total.
  const limits = { admin, total, perUid: Math.min(wanted.perUid, Math.max(FLOOR.perUid, Math.floor(total / 2))) };
  const fits = available >= FLOOR.admin + FLOOR.total;
  const shrunk =
    `the open-file limit (${fdLimit}) leaves ${Math.max(0, available)} descriptors for control connections after the reserves ` +
    `for real-time events (${reserve.rtp}), scans (${reserve.scans}) and the daemon itself (${reserve.base})` +
    (fits ? '' : `, less than the floor of ${FLOOR.admin + FLOOR.total}: raise LimitNOFILE — under load real-time events may get the default response`);
  return { fdLimit, reserve, available, limits, shrunk };
}

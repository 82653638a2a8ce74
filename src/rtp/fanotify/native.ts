// src/rtp/fanotify/native.ts — the TypeScript type of the native fanotify core (FanotifyGroup in
// native/binding.cc over native/core/fanotify_*) and a small loader that opens a group through
// loadNative() or an injected binding. docs/fanotify-core.md describes threads, ownership and
// counters. Owns: types, opening a group, mapping native coded errors to WdavError.
// Must not: decide verdicts, choose mounts, or keep state (the RTP backend does that).
import type { ScanPlan } from '../../engine/batch-native.js';
import { loadNative, type NativeBinding } from '../../shared/native.js';
import { WdavError, isErrorCode } from '../../shared/errors.js';

export type FanotifyEventKind = 'open' | 'exec' | 'close_write';

/**
 * One event handed to JS. `fd` belongs to JS: close it (fs.closeSync) when done, also after
 * respond() returned false. For 'open'/'exec' it is a dup of the event fd, readable (pread)
 * without generating events; for 'close_write' it is the event fd itself and needs no answer.
 */
export interface FanotifyEvent {
  /** Unique per group; the key for respond(). */
  id: number;
  fd: number;
  /** Process (tgid) that opened, executed or wrote the file. */
  pid: number;
  kind: FanotifyEventKind;
  /** Raw bytes of readlink(/proc/self/fd/N): may be invalid UTF-8 or end in " (deleted)"; empty if unresolvable. */
  path: Buffer;
  /** fstat of the event fd when the event was read (verdict-cache key). */
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Ignore-mark epoch when the event was read (see flushIgnoreMarks). */
  epoch: number;
}

export interface FanotifyRuntimeOptions {
  /** Deadline for a JS verdict, ms (1..3600000, default 5000); then defaultResponse is written natively. */
  timeoutMs?: number;
  /** Answer for timeouts and full queues (default 'allow'). */
  defaultResponse?: 'allow' | 'deny';
  /** Permission events waiting for JS at most (1..1000000, default 1024); beyond → defaultResponse. */
  pendingCapacity?: number;
  /** close_write events queued to JS at most (0..1000000, default 1024); beyond → dropped and counted. */
  closeWriteCapacity?: number;
  /**
   * Allow opens of empty regular files in the reader thread, with an ignore mark, without JS
   * (default false): nothing in them to scan. Counted as answeredNatively.empty.
   */
  answerEmpty?: boolean;
}

export interface FanotifyOptions extends FanotifyRuntimeOptions {
  /** Called on the JS thread with one batch per kernel read. Must not throw. */
  onEvents(events: FanotifyEvent[]): void;
  /** Called (coalesced) when /proc/self/mountinfo changes, so the caller can re-mark mounts. */
  onMountsChanged?(): void;
  /** Path prefixes in RTP scope; empty or absent = everything marked. Others are allowed natively. */
  scope?: Array<string | Buffer>;
  /** Try O_NOATIME for event fds (default true; falls back without it). */
  noatime?: boolean;
  /** Batches queued to the JS thread at most (1..65536, default 256); beyond → defaultResponse, counted as tsfnFull. */
  jsQueueBatches?: number;
}

export interface FanotifyRespondOptions {
  /** After an allow, cache the clean verdict in the kernel (inode ignore mark, cleared by a write). */
  ignoreMark?: boolean;
  /** Epoch the verdict was computed under; an older one than the current epoch adds no mark. Defaults to the event's epoch. */
  epoch?: number;
}

/** The identity a verdict was computed for (fstat fields, as in FanotifyEvent). */
export interface FanotifyFileIdentity {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** Outcome of markClean: added, or why not (epoch older than a flush, network/FUSE fs, file changed, kernel refused, group closed). */
export type MarkCleanResult = 'added' | 'stale' | 'remote' | 'changed' | 'failed' | 'closed';

export interface FanotifyMarkOptions {
  /** Mark the whole filesystem (FAN_MARK_FILESYSTEM) instead of the mount (FAN_MARK_MOUNT). */
  filesystem?: boolean;
}

export interface FanotifyStats {
  events: { open: number; exec: number; closeWrite: number; overflow: number };
  answeredByJs: { allow: number; deny: number; late: number };
  answeredNatively: {
    self: number; outOfScope: number; timeout: number; tableFull: number;
    tsfnFull: number; error: number; closed: number; empty: number;
    /** Default response while the process was short of fds (no hand-off to JS). */
    noFds: number;
  };
  ignoreMarks: {
    added: number; failed: number; skippedRemoteFs: number; skippedStaleEpoch: number;
    skippedChanged: number; clearedOnCloseWrite: number; flushes: number; afterWrite: number; epoch: number;
  };
  closeWrite: { delivered: number; dropped: number; self: number; outOfScope: number; inFlight: number; noFds: number };
  /**
   * readNoFds: read() failed for want of an fd (the kernel denied that event itself);
   * fdShortages / fdReserveRestored: the reader gave back / took back its fd reserve;
   * shortOfFds: 1 while it answers on its own for want of fds; fdReserve: fds it holds now.
   */
  reader: {
    mountChanges: number; batches: number; readErrors: number; responseErrors: number;
    readNoFds: number; fdShortages: number; fdReserveRestored: number; shortOfFds: number; fdReserve: number;
  };
  /** Allows written by the responder thread (async) or by respond() itself (sync: queue full); queue depth. */
  responder: { async: number; sync: number; depth: number; maxDepth: number };
  pending: { depth: number; maxDepth: number; capacity: number; oldestAgeMs: number };
  /**
   * Verdicts reached in native code (setNativeVerdicts): clean files allowed there, files handed
   * on to JS (the plan could not prove them clean), jobs past their deadline or closed (late),
   * events sent to JS because the queue was full; after-write verdicts on close_write
   * notifications: clean (an ignore mark tried) or handed on to JS's after-write scan; queue
   * depth; threads (0: off).
   */
  nativeVerdicts: { clean: number; toJs: number; late: number; queueFull: number; afterWriteClean: number; afterWriteToJs: number; depth: number; threads: number };
}

export interface FanotifyInfo {
  noatime: boolean;
  mountWatch: boolean;
  ignoreMode: 'ignore+evictable' | 'ignore' | 'ignored_mask+evictable' | 'ignored_mask';
  pid: number;
}

export interface FanotifyGroup {
  /** Throws WDAV_ERR_FANOTIFY_MARK (with errno) on failure. */
  addMark(path: string | Buffer, opts?: FanotifyMarkOptions): void;
  removeMark(path: string | Buffer, opts?: FanotifyMarkOptions): void;
  setScope(prefixes: Array<string | Buffer>): void;
  setOptions(opts: FanotifyRuntimeOptions): void;
  /**
   * True when this call answered the event; false if it was already answered (deadline, close)
   * or unknown. A deny is written before it returns; an allow (and its ignore mark) is written by
   * the core's responder thread right after — if the group closes first, the kernel allows it.
   */
  respond(id: number, allow: boolean, opts?: FanotifyRespondOptions): boolean;
  /**
   * A clean verdict reached without a permission event (after a write): a kernel ignore mark on
   * the file behind `fd`, under the same rules as respond's (epoch current, local filesystem,
   * file still `file`). Later opens of the unchanged file then cause no event.
   */
  markClean(fd: number, file: FanotifyFileIdentity, epoch: number): MarkCleanResult;
  /** Drops all inode ignore marks (mount marks stay) and returns the new epoch. */
  flushIgnoreMarks(): number;
  stats(): FanotifyStats;
  /**
   * Native verdicts (native/core/fanotify_native_verdict.cc): with a scan plan, permission events
   * on local regular files of at most maxSize bytes (0: any) are scanned on `threads` threads of
   * the group and allowed there, with an ignore mark, when the plan proves them clean; others
   * reach onEvents as before. null turns it off. Set it before flushIgnoreMarks() on a
   * definitions change.
   */
  setNativeVerdicts(plan: ScanPlan | null, maxSize: number, threads: number, capacity: number): void;
  info(): FanotifyInfo;
  /** Closes the group (the kernel allows whatever is pending), joins the reader. Idempotent. */
  close(): void;
  readonly epoch: number;
  readonly closed: boolean;
}

export type FanotifyGroupConstructor = new (options: FanotifyOptions) => FanotifyGroup;

interface NativeCodedError extends Error {
  code?: unknown;
  errno?: number;
  errnoName?: string;
  syscall?: string;
}

/** A native coded error (code, errno, syscall) as a WdavError; anything else unchanged. */
export function toWdavError(e: unknown): unknown {
  const n = e as NativeCodedError;
  if (!(e instanceof Error) || !isErrorCode(n.code)) return e;
  const details: Record<string, unknown> = {};
  if (n.errno !== undefined) details.errno = n.errno;
  if (n.errnoName) details.errnoName = n.errnoName;
  if (n.syscall) details.syscall = n.syscall;
  return new WdavError(n.code, n.message, Object.keys(details).length ? details : undefined, { cause: e });
}

/** The FanotifyGroup class of a binding, or a WdavError saying why there is none. */
export function fanotifyClass(binding: NativeBinding = loadNative()): FanotifyGroupConstructor {
  const ctor = binding.FanotifyGroup;
  if (!binding.features.fanotify || typeof ctor !== 'function') {
    throw new WdavError('WDAV_ERR_FANOTIFY_UNAVAILABLE', 'fanotify is not compiled into the native addon on this platform');
  }
  return ctor as FanotifyGroupConstructor;
}

/** Opens a fanotify group; throws WdavError (WDAV_ERR_FANOTIFY_UNAVAILABLE with errno/syscall, or WDAV_ERR_INVALID_ARGUMENT). */
export function openFanotifyGroup(options: FanotifyOptions, binding: NativeBinding = loadNative()): FanotifyGroup {
  const Group = fanotifyClass(binding);
  try {
    return new Group(options);
  } catch (e) {
    throw toWdavError(e);
  }
}

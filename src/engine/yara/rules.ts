// src/engine/yara/rules.ts — the YaraRuleSet interface the engine scans with, and its in-process
// implementation: one compiled YARA rule set on libyara (the addon's yara section),
// compiled off the event loop, scanned on the addon's YARA threads (native/core/yara_pool.h)
// with a time limit that holds twice over:
//   - libyara stops the scan itself at the limit (it checks every 4096 bytes of its string
//     search and every 100 condition instructions); cancelling moves that limit to "now";
//   - the promise settles at the limit (at the deadline, for real-time scans) even when
//     libyara's next check is late — one 4096-byte window of a rule with an expensive regular
//     expression can take seconds — so a verdict never waits for it. The thread is told to stop
//     and frees itself at that next check; the buffer stays referenced until then.
// Owns: the rule set's lifetime and scan ids. Must not: read files or decide verdicts.
import { WdavError } from '../../shared/errors.js';
import type { NativeRules, NativeYaraResult, YaraBinding, YaraCompileError, YaraUnit } from './binding.js';

export type { YaraCompileError, YaraUnit } from './binding.js';

export interface YaraMatch {
  rule: string;
  namespace: string;
  meta: Record<string, string | number | boolean>;
}

export type YaraOutcome =
  | { status: 'ok'; matches: YaraMatch[] }
  | { status: 'timeout'; limitMs: number }
  | { status: 'cancelled' }
  | { status: 'error'; message: string; code?: string };

/**
 * A compiled rule set, wherever it runs: in this process (YaraRules, the addon's threads) or in
 * the scanner process (src/scanner/yara-rules.ts). The engine holds one per definition set.
 */
export interface YaraRuleSet {
  /** Rules compiled (all files and units together). */
  readonly ruleCount: number;
  /** Scans given an fd read the file themselves: the read pass then keeps no copy for YARA. */
  readonly takesFd: boolean;
  /** The rule set's number in the scanner process, when it lives there: the content pass runs it too. */
  readonly scannerSet?: number;
  /** Never rejects for the file's sake: a timeout, a cancel or a failure is an outcome. */
  scan(data: Buffer | number, o: YaraScanOptions): Promise<YaraOutcome>;
  /** Scans in flight finish (or stop at their limit); later scans reject. Frees the rules. */
  close(): void;
}

export interface YaraCompileResult {
  rules: YaraRuleSet | null;
  errors: YaraCompileError[];
  loaded: number;
}

/** Compiles rule sources; units that fail are reported, not fatal. Rejects when it cannot compile at all. */
export type YaraCompiler = (units: YaraUnit[]) => Promise<YaraCompileResult>;

export interface YaraScanOptions {
  /** YARA work allowed for this file, from the moment a thread starts it. */
  limitMs: number;
  /** Real-time scans: the scan ends by then whatever the limit (Date.now() milliseconds). */
  deadline?: number;
  /** Real-time class (open/exec verdicts, after-write scans): first in the queue. */
  realTime: boolean;
  signal?: AbortSignal;
  /** For an fd: the most bytes read (the read pass already skipped larger files). */
  maxBytes?: number;
  /** The file's path, named when the scanner process crashes or hangs on it. */
  file?: string;
}

/**
 * How much later than its limit an on-demand scan's promise gives up on libyara's own stop: it
 * normally stops within a few hundred milliseconds of the limit, and an on-demand verdict is not
 * urgent. Real-time scans settle exactly at their deadline.
 */
export const ON_DEMAND_GRACE_MS = 500;

export class YaraRules implements YaraRuleSet {
  readonly takesFd = false;
  /** Scan ids, unique in the process (the native side cancels by id). */
  private static nextId = 1;
  private closed = false;

  private constructor(
    private readonly b: YaraBinding,
    private readonly handle: NativeRules,
    /** Rules compiled (all files and units together). */
    readonly ruleCount: number,
  ) {}

  /** Compiles `units` on the threadpool; units that fail are reported, not fatal. */
  static async compile(b: YaraBinding, units: YaraUnit[]): Promise<YaraCompileResult> {
    let r;
    try {
      r = await b.yaraCompile(units);
    } catch (e) {
      throw new WdavError('WDAV_ERR_DEFINITIONS_INVALID', (e as Error).message, undefined, { cause: e });
    }
    return { rules: r.rules ? new YaraRules(b, r.rules, r.ruleCount) : null, errors: r.errors, loaded: r.loaded };
  }

  /**
   * Scans `data` (kept referenced until libyara is done with it; must not change meanwhile).
   * Never rejects for the file's sake: a timeout, a cancel or a libyara error is an outcome.
   * Rejects (WDAV_ERR_UNAVAILABLE) once the rule set is closed.
   */
  scan(data: Buffer | number, o: YaraScanOptions): Promise<YaraOutcome> {
    if (this.closed) return Promise.reject(new WdavError('WDAV_ERR_UNAVAILABLE', 'YARA rules closed'));
    if (o.signal?.aborted) return Promise.resolve({ status: 'cancelled' });
    const id = YaraRules.nextId++;
    const limitMs = Math.max(1, Math.round(o.limitMs));
    const deadlineInMs = o.deadline !== undefined ? o.deadline - Date.now() : undefined;
    let native: Promise<NativeYaraResult>;
    try {
      native = this.b.yaraScan(this.handle, data, { id, limitMs, realTime: o.realTime, ...(deadlineInMs !== undefined ? { deadlineInMs } : {}), ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}) });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'WDAV_ERR_SHUTTING_DOWN') return Promise.resolve({ status: 'cancelled' });
      if (code === 'WDAV_ERR_UNAVAILABLE') return Promise.reject(new WdavError('WDAV_ERR_UNAVAILABLE', 'YARA rules closed'));
      return Promise.resolve({ status: 'error', message: (e as Error).message });
    }
    return settleInTime(o, limitMs, deadlineInMs, native.then((r) => outcome(r, effectiveLimit(limitMs, deadlineInMs))), () => this.b.yaraCancel(id));
  }

  /** Scans in flight finish (or stop at their limit); later scans reject. Frees the rules. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.b.yaraRelease(this.handle);
  }
}

/**
 * `work`'s outcome, or `timeout` once the limit plus ON_DEMAND_GRACE_MS (on demand) or the
 * deadline (real time) passed, or `cancelled` when `o.signal` aborts — whichever comes first.
 * `cancel` asks the work to stop when it did not finish first. Shared by every YaraRuleSet.
 */
export function settleInTime(o: YaraScanOptions, limitMs: number, deadlineInMs: number | undefined, work: Promise<YaraOutcome>, cancel: () => void): Promise<YaraOutcome> {
  return new Promise<YaraOutcome>((resolve) => {
    let settled = false;
    const finish = (out: YaraOutcome, stop: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (stop) cancel();
      resolve(out);
    };
    const onAbort = (): void => finish({ status: 'cancelled' }, true);
    const waitMs = deadlineInMs !== undefined ? Math.max(0, Math.min(deadlineInMs, limitMs + ON_DEMAND_GRACE_MS)) : limitMs + ON_DEMAND_GRACE_MS;
    // Fires only when the scan has not stopped by itself in time (see the header).
    const timer = setTimeout(() => finish({ status: 'timeout', limitMs: effectiveLimit(limitMs, deadlineInMs) }, true), waitMs);
    timer.unref();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    work.then((out) => finish(out, false));
  });
}

export function effectiveLimit(limitMs: number, deadlineInMs: number | undefined): number {
  return deadlineInMs === undefined ? limitMs : Math.max(0, Math.min(limitMs, Math.round(deadlineInMs)));
}

function outcome(r: NativeYaraResult, limitMs: number): YaraOutcome {
  switch (r.status) {
    case 'ok':
      return { status: 'ok', matches: r.matches.map((m) => ({ rule: m.rule, namespace: m.ns, meta: m.meta })) };
    case 'timeout':
      return { status: 'timeout', limitMs };
    case 'cancelled':
      return { status: 'cancelled' };
    default:
      return { status: 'error', message: r.error ?? 'libyara scan failed' };
  }
}

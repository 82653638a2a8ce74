// src/engine/yara/rules.ts — one compiled YARA rule set on libyara (the addon's yara section):
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
  | { status: 'error'; message: string };

export interface YaraScanOptions {
  /** YARA work allowed for this file, from the moment a thread starts it. */
  limitMs: number;
  /** Real-time scans: the scan ends by then whatever the limit (Date.now() milliseconds). */
  deadline?: number;
  /** Real-time class (open/exec verdicts, after-write scans): first in the queue. */
  realTime: boolean;
  signal?: AbortSignal;
}

/**
 * How much later than its limit an on-demand scan's promise gives up on libyara's own stop: it
 * normally stops within a few hundred milliseconds of the limit, and an on-demand verdict is not
 * urgent. Real-time scans settle exactly at their deadline.
 */
export const ON_DEMAND_GRACE_MS = 500;

export class YaraRules {
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
  static async compile(b: YaraBinding, units: YaraUnit[]): Promise<{ rules: YaraRules | null; errors: YaraCompileError[]; loaded: number }> {
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
  scan(data: Buffer, o: YaraScanOptions): Promise<YaraOutcome> {
    if (this.closed) return Promise.reject(new WdavError('WDAV_ERR_UNAVAILABLE', 'YARA rules closed'));
    if (o.signal?.aborted) return Promise.resolve({ status: 'cancelled' });
    const id = YaraRules.nextId++;
    const limitMs = Math.max(1, Math.round(o.limitMs));
    const deadlineInMs = o.deadline !== undefined ? o.deadline - Date.now() : undefined;
    let native: Promise<NativeYaraResult>;
    try {
      native = this.b.yaraScan(this.handle, data, { id, limitMs, realTime: o.realTime, ...(deadlineInMs !== undefined ? { deadlineInMs } : {}) });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'WDAV_ERR_SHUTTING_DOWN') return Promise.resolve({ status: 'cancelled' });
      if (code === 'WDAV_ERR_UNAVAILABLE') return Promise.reject(new WdavError('WDAV_ERR_UNAVAILABLE', 'YARA rules closed'));
      return Promise.resolve({ status: 'error', message: (e as Error).message });
    }
    return new Promise<YaraOutcome>((resolve) => {
      let settled = false;
      const finish = (out: YaraOutcome, cancel: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        if (cancel) this.b.yaraCancel(id);
        resolve(out);
      };
      const onAbort = (): void => finish({ status: 'cancelled' }, true);
      const waitMs = deadlineInMs !== undefined ? Math.max(0, Math.min(deadlineInMs, limitMs + ON_DEMAND_GRACE_MS)) : limitMs + ON_DEMAND_GRACE_MS;
      // Fires only when libyara has not stopped by itself in time (see the header).
      const timer = setTimeout(() => finish({ status: 'timeout', limitMs: effectiveLimit(limitMs, deadlineInMs) }, true), waitMs);
      timer.unref();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      native.then((r) => finish(outcome(r, effectiveLimit(limitMs, deadlineInMs)), false));
    });
  }

  /** Scans in flight finish (or stop at their limit); later scans reject. Frees the rules. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.b.yaraRelease(this.handle);
  }
}

function effectiveLimit(limitMs: number, deadlineInMs: number | undefined): number {
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

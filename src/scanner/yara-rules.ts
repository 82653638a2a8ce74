// src/scanner/yara-rules.ts — YARA rule sets that live in the scanner process: the daemon's
// YaraRuleSet (src/engine/yara/rules.ts) when the broker never parses rules or file content
// itself. Each definition set's rules are one numbered set in the scanner; scanning sends the
// file's fd (in-memory data, such as an archive member, goes as a sealed memfd copy). The time
// limit holds the way it does in process: the scanner stops libyara at the limit, and the
// promise settles by the deadline (real time) or the limit plus ON_DEMAND_GRACE_MS even if the
// scanner is late, asking it to cancel. A scanner crash or a full queue is an `error` outcome
// with its code (WDAV_ERR_SCANNER, WDAV_ERR_BUSY), never a clean verdict.
// Owns: set ids and the mapping to YaraOutcome. Must not: spawn or supervise (process.ts does).
import fs from 'node:fs';
import { WdavError, isWdavError } from '../shared/errors.js';
import { effectiveLimit, settleInTime, type YaraCompiler, type YaraOutcome, type YaraRuleSet, type YaraScanOptions } from '../engine/yara/rules.js';
import type { YaraUnit } from '../engine/yara/binding.js';
import type { ScannerLinkBinding } from './link.js';
import type { ScannerProcess } from './process.js';

/** The most bytes the scanner reads of one file when the caller gives no bound. */
const DEFAULT_MAX_BYTES = 64 << 20;

class ScannerYaraRules implements YaraRuleSet {
  readonly takesFd = true;
  private closed = false;

  constructor(
    private readonly scanner: ScannerProcess,
    private readonly link: ScannerLinkBinding,
    private readonly set: number,
    readonly ruleCount: number,
  ) {}

  get scannerSet(): number {
    return this.set;
  }

  scan(data: Buffer | number, o: YaraScanOptions): Promise<YaraOutcome> {
    if (this.closed) return Promise.reject(new WdavError('WDAV_ERR_UNAVAILABLE', 'YARA rules closed'));
    if (o.signal?.aborted) return Promise.resolve({ status: 'cancelled' });
    const limitMs = Math.max(1, Math.round(o.limitMs));
    const deadlineInMs = o.deadline !== undefined ? o.deadline - Date.now() : undefined;
    if (deadlineInMs !== undefined && deadlineInMs <= 0) return Promise.resolve({ status: 'timeout', limitMs: 0 });
    let fd: number;
    let owned = false;
    try {
      if (typeof data === 'number') fd = data;
      else {
        fd = this.link.scannerMemfd(data);
        owned = true;
      }
    } catch (e) {
      return Promise.resolve({ status: 'error', message: `cannot pass the data to the scanner: ${(e as Error).message}`, code: 'WDAV_ERR_SCANNER' });
    }
    const effective = effectiveLimit(limitMs, deadlineInMs);
    const abort = new AbortController();
    const work = this.scanner
      .scan(fd, {
        set: this.set,
        limitMs,
        maxBytes: o.maxBytes ?? (typeof data === 'number' ? DEFAULT_MAX_BYTES : data.length),
        ...(deadlineInMs !== undefined ? { deadlineMs: Math.max(1, Math.round(deadlineInMs)) } : {}),
        realTime: o.realTime,
        signal: abort.signal,
        ...(o.file !== undefined ? { file: o.file } : {}),
      })
      .then(
        (r): YaraOutcome =>
          r.status === 'ok'
            ? { status: 'ok', matches: r.matches.map((m) => ({ rule: m.rule, namespace: m.namespace, meta: m.meta })) }
            : r.status === 'timeout'
              ? { status: 'timeout', limitMs: effective }
              : { status: 'cancelled' },
        (e: unknown): YaraOutcome => ({ status: 'error', message: (e as Error).message, code: isWdavError(e) ? e.code : 'WDAV_ERR_SCANNER' }),
      )
      .finally(() => {
        // The memfd was passed (the scanner holds its own copy of the fd) or the send failed.
        if (owned) fs.closeSync(fd);
      });
    return settleInTime(o, limitMs, deadlineInMs, work, () => abort.abort());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.scanner.release(this.set);
  }
}

/**
 * Compiles in the scanner process. A bundle where nothing compiles resolves with no rules and
 * the errors (like the in-process compiler); a scanner that cannot compile at all (gone, busy)
 * rejects, so the definition load fails and the previous set stays.
 */
export function scannerYaraCompiler(scanner: ScannerProcess, link: ScannerLinkBinding): YaraCompiler {
  let nextSet = 1;
  return async (units: YaraUnit[]) => {
    const set = nextSet++;
    try {
      const load = await scanner.loadYara(units, set);
      return { rules: new ScannerYaraRules(scanner, link, set, load.rules), errors: load.errors.map((e) => ({ file: e.file, ...(e.line ? { line: e.line } : {}), message: e.message })), loaded: load.loaded };
    } catch (e) {
      if (isWdavError(e) && e.code === 'WDAV_ERR_DEFINITIONS_INVALID') {
        const errors = ((e.details as { errors?: { file: string; line: number; message: string }[] } | undefined)?.errors ?? []).map((x) => ({ file: x.file, ...(x.line ? { line: x.line } : {}), message: x.message }));
        return { rules: null, errors, loaded: 0 };
      }
      throw e;
    }
  };
}

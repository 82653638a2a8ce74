// src/engine/yara/binding.ts — types of the yara section of the native addon (native/binding.cc
// over native/core/yara_rules.* and yara_pool.*: libyara 4) and the check that it is present.
// libyara is a required build dependency (scripts/native-deps.mjs), so every addon built from
// this tree has it. Must not: wrap behaviour (rules.ts does).
import type { NativeBinding } from '../../shared/native.js';

declare const rulesBrand: unique symbol;
/** Compiled rules (an opaque native handle; freed when collected or by yaraRelease). */
export type NativeRules = { readonly [rulesBrand]: true };

export interface YaraUnit {
  file: string;
  source: string;
  /** YARA namespace; rules of different namespaces may share names. Default: the default one. */
  namespace?: string;
  /** One independent rule per line (translated body signatures): a bad line is dropped alone. */
  perLine?: boolean;
}

export interface YaraCompileError {
  file: string;
  line?: number;
  message: string;
}

export interface NativeYaraMatch {
  rule: string;
  ns: string;
  meta: Record<string, string | number | boolean>;
}

export interface NativeYaraResult {
  status: 'ok' | 'timeout' | 'cancelled' | 'error';
  matches: NativeYaraMatch[];
  error?: string;
  /** Time in libyara, and waiting for a thread before that. */
  ms: number;
  waitMs: number;
}

export interface YaraScanNativeOptions {
  /** Unique among this process's pending scans: the handle for yaraCancel. */
  id: number;
  /** YARA work allowed once a thread starts the scan. */
  limitMs: number;
  /** Absolute end, as milliseconds from now (time waiting for a thread counts); may be <= 0. */
  deadlineInMs?: number;
  /** Real-time class: taken before on-demand jobs and may use every thread. */
  realTime?: boolean;
  /** For an fd: the most bytes read (a larger file is an error). */
  maxBytes?: number;
}

export interface YaraPoolStats {
  threads: number;
  maxThreads: number;
  onDemandMaxThreads: number;
  capacity: number;
  depth: number;
  maxDepth: number;
  fullCount: number;
  oldestWaitingMs: number;
  running: number;
  completed: number;
  timeouts: number;
  cancelled: number;
  expiredInQueue: number;
  runningJobs: { id: number; realTime: boolean; ms: number }[];
}

export interface YaraBinding {
  features: { yara: true; yaraVersion: string };
  yaraCompile(units: YaraUnit[]): Promise<{ rules: NativeRules | null; ruleCount: number; errors: YaraCompileError[]; loaded: number }>;
  /** Throws WDAV_ERR_BUSY (queue full) or WDAV_ERR_SHUTTING_DOWN synchronously; the promise never rejects. */
  yaraScan(rules: NativeRules, data: Buffer | number, opts: YaraScanNativeOptions): Promise<NativeYaraResult>;
  yaraCancel(id: number): boolean;
  /** Stops every pending scan of this process (queued: not run; running: at libyara's next check). */
  yaraStopAll(): number;
  /** yaraStopAll, and every later yaraScan throws WDAV_ERR_SHUTTING_DOWN. */
  yaraShutdown(): number;
  /** Drops the handle's reference to its rules (memory is freed once running scans end). */
  yaraRelease(rules: NativeRules): void;
  yaraStats(): YaraPoolStats;
}

/** The yara section of `native`, or null when the addon predates it. */
export function yaraBinding(native: NativeBinding | null | undefined): YaraBinding | null {
  if (!native || typeof native['yaraCompile'] !== 'function' || typeof native['yaraScan'] !== 'function') return null;
  return native as unknown as YaraBinding;
}

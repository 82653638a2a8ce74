// src/engine/patterns/binding.ts — types of the patterns section of the native addon
// (native/binding.cc, native/core/patterns.*) and the check that it is present (it is only
// compiled when libhs was found). Must not: wrap behaviour.
import type { NativeBinding } from '../../shared/native.js';

declare const dbBrand: unique symbol;
declare const streamBrand: unique symbol;
export type PatternDb = { readonly [dbBrand]: true };
export type PatternStream = { readonly [streamBrand]: true };

export interface PatternRejection {
  index: number;
  message: string;
}

export interface PatternsBinding {
  features: { vectorscan: boolean; vectorscanVersion?: string };
  /** Compiles on the threadpool. eofRules: 5 numbers per EOF rule (id, n, shift, minLen, maxLen|-1). */
  patternsCompile(exprs: string[], flags: Uint32Array, minOffsets: Float64Array, maxOffsets: Float64Array, eofRules: Float64Array): Promise<{ db: PatternDb; serialized: Buffer; rejected: PatternRejection[] }>;
  patternsLoad(serialized: Buffer, eofRules: Float64Array): Promise<PatternDb>;
  /** totalSize -1 = unknown (EOF rules then checked at close against finalSize). */
  patternsOpen(db: PatternDb, totalSize: number): PatternStream;
  patternsScan(stream: PatternStream, buf: Buffer, len: number): Promise<number>;
  /** The same scan on the calling thread (small chunks only). Absent from older addons. */
  patternsScanSync?(stream: PatternStream, buf: Buffer, len: number): number;
  /**
   * pread + scan from `position`, up to `total` bytes (default len) in chunks of len, all in one
   * threadpool call; `advance` fills buf in order (else reuses its first len bytes). Resolves
   * the bytes read (less than total only at end of file).
   */
  patternsReadScan(stream: PatternStream, fd: number, buf: Buffer, len: number, position: number, total?: number, advance?: boolean): Promise<number>;
  patternsClose(stream: PatternStream, finalSize: number): Uint32Array;
  patternsDbSize(db: PatternDb): number;
}

/** The patterns section of `native`, or null when the addon was built without libhs. */
export function patternsBinding(native: NativeBinding | null | undefined): PatternsBinding | null {
  if (!native || !native.features?.vectorscan || typeof native['patternsCompile'] !== 'function') return null;
  return native as unknown as PatternsBinding;
}

// src/scan/walker-native.ts — the TypeScript type of the native scan walker (ScanWalker in
// native/binding.cc over native/core/walker.*) and its loader through an injected binding.
// Owns: types and the count names. Must not: walk, filter or scan (src/scan/walker.ts does).
import type { NativeBinding } from '../shared/native.js';
import { WdavError } from '../shared/errors.js';

/** Display paths, concatenated (valid UTF-8; invalid bytes as \xHH), with n+1 offsets. */
export interface PathBlock {
  text: Buffer;
  offsets: Uint32Array;
}

export interface NativeWalkBatch {
  /** Opened regular files: the fds belong to the caller, who must close every one. */
  fds: Int32Array;
  sizes: Float64Array;
  paths: PathBlock;
  /** Raw path bytes, set only where the display form differs (names not valid UTF-8). */
  raws: (Buffer | undefined)[];
  /** Filter mode: entries waiting for approval (kind 1 = directory, 0 = file). */
  candidateKinds: Uint8Array;
  candidates: PathBlock;
  events: { path: string; code: string }[];
  /** Indexed by WALK_COUNTS. */
  counts: Float64Array;
  done: boolean;
}

export interface NativeWalkerOptions {
  filter?: boolean;
  batch?: number;
  maxDepth?: number;
  /** [major, minor] pairs of devices never entered. */
  skipDevs?: Uint32Array;
  noatime?: boolean;
}

export interface NativeWalker {
  next(decisions?: Uint8Array): Promise<NativeWalkBatch>;
  close(): void;
}

export type NativeWalkerCtor = new (roots: Buffer[], opts: NativeWalkerOptions) => NativeWalker;

/** The order of native/core/walker.h `Count`. */
export const WALK_COUNTS = ['dirs', 'files', 'symlinks', 'special', 'vanished', 'denied', 'errors', 'loops', 'mountsSkipped', 'longPaths'] as const;
export type WalkCount = (typeof WALK_COUNTS)[number];

export function walkerCtor(native: NativeBinding): NativeWalkerCtor {
  const ctor = native.ScanWalker;
  if (typeof ctor !== 'function') throw new WdavError('WDAV_ERR_NATIVE', 'the native addon has no ScanWalker (rebuild it: npm run build:native)');
  return ctor as NativeWalkerCtor;
}

// test/helpers/batch-fixtures.ts — helpers for the batch scan tests: write named files, open
// them as a batch (Int32Array of fds, as the walker hands them over), and read a batch outcome
// back as one result per file (clean files have no object in the outcome).
import fs from 'node:fs';
import path from 'node:path';
import type { BatchOutcome } from '../../src/engine/batch.js';
import type { ScanResult } from '../../src/engine/types.js';

/** Writes each file under dir; returns the paths in the given order. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): string[] {
  return Object.entries(files).map(([name, data]) => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    return p;
  });
}

export function openAll(paths: readonly string[]): Int32Array {
  return Int32Array.from(paths, (p) => fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK));
}

/** One entry per file: the result from `others`, or 'clean' for the counted clean files. */
export function perFile(out: BatchOutcome, n: number): (ScanResult | 'clean')[] {
  const all: (ScanResult | 'clean')[] = Array.from({ length: n }, () => 'clean');
  for (const o of out.others) all[o.index] = o.result;
  return all;
}

/** What a result means to a user: name and engine (and member path) of a detection, else the kind (and unscanned members). */
export function verdictOf(r: ScanResult | 'clean'): string {
  if (r === 'clean') return 'clean';
  if (r.kind === 'detected') return `${r.name}/${r.engine}${r.memberPath ? `@${r.memberPath}` : ''}`;
  if (r.kind === 'skipped') return `skipped:${r.reason}`;
  if (r.kind === 'error') return `error:${r.code}`;
  // Archive members it could not look into are part of what a user is told.
  if (r.unscannedCount) return `clean, unscanned: ${(r.unscanned ?? []).map((u) => `${u.member} (${u.reason})`).join(', ')} of ${r.unscannedCount}`;
  return 'clean';
}

/** Deterministic incompressible bytes. */
export function rand(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

/** A copy of base with s written at `at`. */
export function put(base: Buffer, at: number, s: string): Buffer {
  const b = Buffer.from(base);
  Buffer.from(s).copy(b, at);
  return b;
}

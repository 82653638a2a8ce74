// src/definitions/hash-parallel.ts — loads one large hash database in parallel: the file is
// cut into line-aligned ranges, each parsed and sorted off the event loop — by the native
// parser on the libuv threadpool when the addon has it, else by a worker thread running
// hash-sigs.ts (hash-worker.ts) — and the tables join the set as separate parts (a lookup
// probes each; no merge). Owns: that scheduling. Must not: parse lines itself.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { HashSet } from './hash-sigs.js';
import type { HashTally } from './hash-tally.js';
import { partFromRaw, type RawTables } from './hashdb-native.js';
import { lineRanges } from './lines.js';

/** Files smaller than this are parsed in one piece (a worker thread costs ~40 ms to start). */
export const PARALLEL_MIN_BYTES = 16 << 20;

// From dist/ the worker is hash-worker.js. When the tests run the sources through tsx, this
// module is .ts and Node 20 does not run `--import=tsx` in worker threads, so the worker first
// registers tsx's hooks itself, then imports hash-worker.ts.
function workerUrl(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./hash-worker.js', import.meta.url);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./hash-worker.ts', import.meta.url).href);
  return new URL(`data:text/javascript,${encodeURIComponent(`await (await import(${tsx})).register(); await import(${entry});`)}`);
}
const WORKER = workerUrl();

export type RangeParser = (file: string, start: number, end: number) => Promise<RawTables>;

/** Parses a range on a worker thread with the JS parser. */
export function workerRange(file: string, start: number, end: number): Promise<RawTables> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { file, start, end } });
    w.once('message', (m: RawTables) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`hash loader worker exited with code ${code}`)));
  });
}

/** Parses `file` in parallel; tallies come back in file order with their line offsets. */
export async function loadHashFileParallel(
  file: string,
  size: number,
  parseRange: RangeParser = workerRange,
  threads = Math.min(os.availableParallelism(), 4),
): Promise<{ set: HashSet; tallies: { tally: HashTally; lineOffset: number }[] }> {
  const parts = Math.max(1, Math.min(threads, Math.ceil(size / (8 << 20))));
  const ranges = parts > 1 ? await lineRanges(file, size, parts) : [{ start: 0, end: size }];
  const replies = await Promise.all(ranges.map((r) => parseRange(file, r.start, r.end)));
  let lineOffset = 0;
  const tallies = replies.map((r) => {
    const out = { tally: r.tally, lineOffset };
    lineOffset += r.tally.lines;
    return out;
  });
  return { set: HashSet.merge(replies.map(partFromRaw)), tallies };
}

// src/definitions/hash-parallel.ts — loads one large hash database on worker threads: the
// file is cut into line-aligned ranges, each parsed and sorted by a worker (hash-worker.ts),
// the tables come back as transferred memory and join the set as separate parts (a lookup
// probes each; no merge). On 2 cores this halves the load of 4 M signatures and keeps the
// event loop free while it runs. Owns: scheduling those workers. Must not: parse lines itself.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { HashTable, NameTable, type HashKind } from './hash-index.js';
import { HashSet } from './hash-sigs.js';
import type { HashTally } from './hash-tally.js';
import { lineRanges } from './lines.js';

/** Files smaller than this are parsed inline: a worker costs ~40 ms to start. */
export const PARALLEL_MIN_BYTES = 16 << 20;

interface WorkerReply {
  tally: HashTally;
  prefixes: string[];
  tables: { kind: HashKind; records: Uint8Array; buckets: Uint32Array; sizes: Uint32Array; anySize: boolean }[];
}

function runRange(file: string, start: number, end: number): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { file, start, end } });
    w.once('message', (m: WorkerReply) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`hash loader worker exited with code ${code}`)));
  });
}

/** Parses `file` in parallel; tallies come back in file order with their line offsets. */
export async function loadHashFileParallel(file: string, size: number, threads = Math.min(os.availableParallelism(), 4)): Promise<{ set: HashSet; tallies: { tally: HashTally; lineOffset: number }[] }> {
  const parts = Math.max(1, Math.min(threads, Math.ceil(size / (8 << 20))));
  const ranges = await lineRanges(file, size, parts);
  const replies = await Promise.all(ranges.map((r) => runRange(file, r.start, r.end)));
  let lineOffset = 0;
  const tallies = replies.map((r) => {
    const out = { tally: r.tally, lineOffset };
    lineOffset += r.tally.lines;
    return out;
  });
  const sets = replies.map(
    (r) => new HashSet([{ tables: new Map(r.tables.map((t) => [t.kind, HashTable.fromParts(t)])), names: NameTable.fromPrefixes(r.prefixes) }]),
  );
  return { set: HashSet.merge(sets), tallies };
}

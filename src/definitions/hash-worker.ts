// src/definitions/hash-worker.ts — worker-thread entry: parses one byte range of a hash
// database into sorted tables and sends them back, their memory transferred, not copied.
// Run by hash-parallel.ts. Owns nothing else.
import { parentPort, workerData } from 'node:worker_threads';
import { HashSetBuilder } from './hash-sigs.js';
import { tallyFile } from './hash-tally.js';

const { file, start, end } = workerData as { file: string; start: number; end: number };
const builder = new HashSetBuilder(end - start);
const tally = await tallyFile(builder, file, { start, end });
const [part] = builder.build().parts;
const tables = part ? [...part.tables.values()].map((t) => t.exportParts()) : [];
const transfer = tables.flatMap((t) => [t.records.buffer, t.buckets.buffer, t.sizes.buffer]) as ArrayBuffer[];
parentPort!.postMessage({ tally, prefixes: part ? part.names.exportPrefixes() : [], tables }, transfer);

// test/helpers/scan-job.ts — runs one ScanJob in-process with the REAL engine (createEngine,
// built-in definitions: EICAR) over a directory, through a real ScanQueue and Limiter.
// `wrap` lets a test observe or inject faults around the real engine's scan.
import { createEngine } from '../../src/engine/engine.js';
import type { Engine } from '../../src/engine/types.js';
import { ScanJob, type Detected } from '../../src/scan/job.js';
import { Limiter } from '../../src/scan/limiter.js';
import { ScanQueue } from '../../src/scan/queue.js';
import { ScanWalker } from '../../src/scan/walker.js';
import { loadNative } from '../../src/shared/native.js';

export interface JobHarness {
  job: ScanJob;
  detected: Detected[];
  queue: ScanQueue;
  limiter: Limiter;
  engine: Engine;
}

export function makeJob(roots: string[], o: { threads?: number; wrap?: (e: Engine) => Engine; batch?: number; maxFileSize?: number } = {}): JobHarness {
  const real = createEngine();
  const engine = o.wrap ? o.wrap(real) : real;
  const queue = new ScanQueue(64, 4);
  const limiter = new Limiter(o.threads ?? 2);
  const detected: Detected[] = [];
  const walker = new ScanWalker(loadNative(), { roots, exclusions: null, ...(o.batch ? { batch: o.batch } : {}) });
  const job = new ScanJob({
    type: 'custom',
    paths: roots,
    ignoreExclusions: false,
    requestedBy: 0,
    engine,
    queue,
    limiter,
    walker,
    scanArchives: true,
    maxFileSize: o.maxFileSize ?? 0,
    computeHash: false,
    onDetection: async (_j, d) => void detected.push(d),
  });
  return { job, detected, queue, limiter, engine };
}

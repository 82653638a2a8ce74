// test/helpers/archive-scan.ts — a member scanner for walker tests: reads every chunk (so the
// walker's limits are exercised) and reports EICAR found anywhere in the member.
import type { ScanMember } from '../../src/engine/archives/types.js';
import { eicar } from './archive-fixtures.js';

export interface RecordingScanner {
  scan: ScanMember;
  /** Paths of members seen, in order. */
  seen: string[];
}

export function eicarScanner(): RecordingScanner {
  const needle = eicar();
  const seen: string[] = [];
  const scan: ScanMember = async (member) => {
    seen.push(member.path);
    let tail = Buffer.alloc(0);
    let found = false;
    for await (const c of member.chunks()) {
      const window = Buffer.concat([tail, c]);
      if (window.includes(needle)) found = true;
      tail = window.subarray(Math.max(0, window.length - needle.length + 1));
    }
    return found ? { kind: 'detected', name: 'Virus:DOS/EICAR_Test_File', threatType: 'test', engine: 'builtin' } : { kind: 'clean' };
  };
  return { scan, seen };
}

/** RSS growth and wall time of fn, for the numbers the bomb tests print. */
export async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; rssDeltaMiB: number }> {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = process.hrtime.bigint();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, ms: Number(process.hrtime.bigint() - t0) / 1e6, rssDeltaMiB: (peak - rss0) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

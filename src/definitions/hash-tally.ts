// src/definitions/hash-tally.ts — parses hash-signature lines (.hdb .hsb .hdu .hsu .fp .sfp)
// from a file range or a buffer into a HashSetBuilder and counts the outcomes in a plain,
// structured-cloneable tally (the same code runs inline and in hash-worker.ts threads).
// Owns: that loop and the tally shape. Must not: touch reports or other formats.
import { HashSetBuilder } from './hash-sigs.js';
import { forEachFileLine, forEachLine, type LineHandler } from './lines.js';

export interface HashTally {
  lines: number;
  loaded: number;
  malformed: number;
  skipReasons: Record<string, number>;
  /** First few malformed lines, numbered within the parsed range. */
  errors: { line: number; message: string }[];
}

const MAX_ERRORS = 5;

export function newTally(): HashTally {
  return { lines: 0, loaded: 0, malformed: 0, skipReasons: {}, errors: [] };
}

function handler(b: HashSetBuilder, t: HashTally): { onLine: LineHandler; onTooLong: (line: number) => void } {
  const bad = (line: number, message: string): void => {
    t.malformed++;
    if (t.errors.length < MAX_ERRORS) t.errors.push({ line, message });
  };
  return {
    onLine: (buf, s, e, line) => {
      while (s < e && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
      if (s === e || buf[s] === 35) return; // blank or `#` comment
      const o = b.addLine(buf, s, e);
      if (o.ok) t.loaded++;
      else if ('skip' in o) t.skipReasons[o.skip] = (t.skipReasons[o.skip] ?? 0) + 1;
      else bad(line, o.malformed);
    },
    onTooLong: (line) => bad(line, 'line too long'),
  };
}

export async function tallyFile(b: HashSetBuilder, file: string, range?: { start: number; end: number }): Promise<HashTally> {
  const t = newTally();
  const h = handler(b, t);
  t.lines = await forEachFileLine(file, h.onLine, h.onTooLong, undefined, range);
  return t;
}

export function tallyBuffer(b: HashSetBuilder, data: Buffer): HashTally {
  const t = newTally();
  const h = handler(b, t);
  t.lines = forEachLine(data, h.onLine, h.onTooLong);
  return t;
}

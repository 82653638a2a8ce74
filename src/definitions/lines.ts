// src/definitions/lines.ts — splits ClamAV text databases into lines without decoding them:
// callers get (buffer, start, end, lineNo) and parse bytes in place, so millions of hash
// lines cost no per-line strings. Handles LF and CRLF, a missing final newline, and lines
// longer than `maxLine` (reported as too long and skipped, never buffered without bound).
// Owns only line splitting; must not know any signature format.
import fs from 'node:fs/promises';

export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => void;
export type LongLineHandler = (lineNo: number) => void;

export const DEFAULT_MAX_LINE = 1 << 20;
const READ_CHUNK = 4 << 20;

/** Calls `onLine` for every line of `buf`; returns the number of lines seen. */
export function forEachLine(buf: Buffer, onLine: LineHandler, onTooLong: LongLineHandler, maxLine = DEFAULT_MAX_LINE): number {
  let lineNo = 0;
  let start = 0;
  while (start < buf.length) {
    let nl = buf.indexOf(10, start);
    const last = nl < 0;
    if (last) nl = buf.length;
    lineNo++;
    emit(buf, start, nl, lineNo, onLine, onTooLong, maxLine);
    start = nl + 1;
  }
  return lineNo;
}

function emit(buf: Buffer, start: number, end: number, lineNo: number, onLine: LineHandler, onTooLong: LongLineHandler, maxLine: number): void {
  if (end > start && buf[end - 1] === 13) end--;
  if (end - start > maxLine) onTooLong(lineNo);
  else onLine(buf, start, end, lineNo);
}

/**
 * Streams a file (or the byte range [start, end) of it, which must begin at a line start)
 * through `onLine` in 4 MiB reads: a database of millions of lines is never held whole.
 */
export async function forEachFileLine(
  file: string,
  onLine: LineHandler,
  onTooLong: LongLineHandler,
  maxLine = DEFAULT_MAX_LINE,
  range: { start: number; end: number } = { start: 0, end: Infinity },
): Promise<number> {
  const fh = await fs.open(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    let skipping = false; // inside a line already reported as too long
    let lineNo = 0;
    let position = range.start;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const want = Math.min(READ_CHUNK, range.end - position);
      if (want <= 0) break;
      const { bytesRead } = await fh.read(chunk, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl < 0) break;
        lineNo++;
        if (!skipping) emit(data, start, nl, lineNo, onLine, onTooLong, maxLine);
        skipping = false;
        start = nl + 1;
      }
      const rest = data.length - start;
      if (skipping || rest > maxLine) {
        if (!skipping) onTooLong(lineNo + 1);
        skipping = true;
        carry = Buffer.alloc(0);
      } else {
        // Copy: `data` may alias the reused read chunk.
        carry = Buffer.from(data.subarray(start));
      }
    }
    if (carry.length && !skipping) {
      lineNo++;
      emit(carry, 0, carry.length, lineNo, onLine, onTooLong, maxLine);
    } else if (skipping) {
      lineNo++;
    }
    return lineNo;
  } finally {
    await fh.close();
  }
}

/**
 * Splits [0, size) of a file into about `parts` ranges that each begin at a line start, for
 * parsing in parallel. A boundary with no newline within maxLine bytes is dropped.
 */
export async function lineRanges(file: string, size: number, parts: number, maxLine = DEFAULT_MAX_LINE): Promise<{ start: number; end: number }[]> {
  const cuts = [0];
  const fh = await fs.open(file, 'r');
  try {
    const probe = Buffer.allocUnsafe(Math.min(maxLine + 1, 1 << 20));
    for (let k = 1; k < parts; k++) {
      const guess = Math.floor((size * k) / parts);
      if (guess <= cuts[cuts.length - 1]!) continue;
      const { bytesRead } = await fh.read(probe, 0, probe.length, guess);
      const nl = probe.subarray(0, bytesRead).indexOf(10);
      if (nl >= 0 && guess + nl + 1 < size) cuts.push(guess + nl + 1);
    }
  } finally {
    await fh.close();
  }
  return cuts.map((start, i) => ({ start, end: cuts[i + 1] ?? size }));
}

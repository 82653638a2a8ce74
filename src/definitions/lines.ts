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
 * Streams a file through `onLine` in 4 MiB reads (a database of millions of lines is never
 * held whole). Awaiting each read lets the event loop run between chunks.
 */
export async function forEachFileLine(file: string, onLine: LineHandler, onTooLong: LongLineHandler, maxLine = DEFAULT_MAX_LINE): Promise<number> {
  const fh = await fs.open(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    let skipping = false; // inside a line already reported as too long
    let lineNo = 0;
    let position = 0;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, READ_CHUNK, position);
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

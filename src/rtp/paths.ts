// src/rtp/paths.ts — event paths as text. The kernel hands real-time protection the bytes of a
// path (readlink of the event fd); file names on Linux need not be UTF-8. Display paths keep
// valid UTF-8 as is and escape other bytes as \xHH (the convention of scans and threats); the
// raw bytes travel alongside when they differ. Owns: that conversion. Must not: touch files.

/** Length of the valid UTF-8 sequence starting at b[i], or 0. */
function seqLen(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) (n = 2), (min = 0x80);
  else if (c >= 0xe0 && c <= 0xef) (n = 3), (min = 0x800);
  else if (c >= 0xf0 && c <= 0xf4) (n = 4), (min = 0x10000);
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const x = b[i + k]!;
    if ((x & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (x & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

export interface EventPath {
  /** Valid UTF-8 text; invalid bytes as \xHH. */
  text: string;
  /** The exact bytes, only when they are not valid UTF-8. */
  raw?: Buffer;
}

export function eventPath(b: Buffer): EventPath {
  const text = b.toString('utf8');
  // Fast path: a round trip that gives back the same bytes means valid UTF-8 (and no U+FFFD from decoding).
  if (!text.includes('\ufffd') || Buffer.byteLength(text) === b.length && Buffer.from(text).equals(b)) return { text };
  let out = '';
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const n = seqLen(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += b.subarray(start, i).toString('utf8') + `\\x${b[i]!.toString(16).padStart(2, '0')}`;
    i++;
    start = i;
  }
  out += b.subarray(start).toString('utf8');
  return { text: out, raw: Buffer.from(b) };
}

// src/engine/archives/gunzip.ts — gzip decompression for the walker, as gzip(1) and zcat do it:
// every member in turn, as one stream (RFC 1952 §2.2); zero bytes after the last member ignored;
// trailing garbage, a truncated member or corrupt deflate data end the stream with a note, and
// what was decompressed before them is handed on. Node's Gunzip fails the whole stream on
// trailing garbage and drops the output of its last inflate call with it, and fails on a missing
// trailer after having decompressed everything: either let a member's content go unscanned.
// Owns: gzip member headers and trailers, one raw inflate stream per member.
// Must not: apply scan limits (the walker meters the output and calls `check` between steps).
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import type { ByteSource } from './source.js';

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
/** Bytes read at a time while looking for the end of a header's name or comment. */
const SCAN = 4096;

export interface GunzipState {
  /** Compressed bytes consumed so far, headers and trailers included (the ratio limit's input). */
  consumed(): number;
  /** Where trailing garbage after the last member starts, once the output ended there. */
  trailingAt: number | null;
}

export interface GunzipOptions {
  /** Called with what zcat would warn about (trailing garbage, truncation, corrupt data). */
  note(text: string): void;
  /** Called between steps that read input without producing output (throws to stop). */
  check(): void;
}

/** Where member `index`'s deflate data starts, or a reason it is no gzip member. */
async function headerEnd(src: ByteSource, at: number, check: () => void): Promise<number | string> {
  const h = Buffer.alloc(10);
  const n = await src.readInto(h, 0, 10, at);
  if (n < 2 || h[0] !== 0x1f || h[1] !== 0x8b) return 'not a gzip member';
  if (n < 10) return 'truncated header';
  if (h[2] !== 8) return `unknown compression method ${h[2]}`;
  const flags = h[3]!;
  if (flags & FRESERVED) return `reserved header flags 0x${(flags & FRESERVED).toString(16)}`;
  let pos = at + 10;
  if (flags & FEXTRA) {
    const x = Buffer.alloc(2);
    if ((await src.readInto(x, 0, 2, pos)) < 2) return 'truncated header';
    pos += 2 + x.readUInt16LE(0);
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (!(flags & f)) continue;
    // NUL-terminated, of any length (as gzip reads it): bounded by the file, checked per block.
    const b = Buffer.alloc(SCAN);
    for (;;) {
      check();
      const n = await src.readInto(b, 0, SCAN, pos);
      if (n === 0) return 'truncated header';
      const nul = b.subarray(0, n).indexOf(0);
      if (nul >= 0) {
        pos += nul + 1;
        break;
      }
      pos += n;
    }
  }
  if (flags & FHCRC) pos += 2;
  return pos > src.size ? 'truncated header' : pos;
}

/** True when every byte of src from `at` on is zero (gzip ignores such padding). */
async function zerosToEnd(src: ByteSource, at: number, check: () => void): Promise<boolean> {
  for await (const c of src.chunks(at)) {
    check();
    for (let i = 0; i < c.length; i++) if (c[i] !== 0) return false;
  }
  return true;
}

/**
 * The decompressed content of the gzip in `src`, all members in order. Ends early — with a note,
 * never an exception — at trailing garbage, a truncated member or corrupt deflate data. Throws
 * only what `check` throws, or a read error of the source.
 */
export function gunzipMembers(src: ByteSource, o: GunzipOptions): { output: AsyncGenerator<Buffer>; state: GunzipState } {
  let done = 0;
  let inflater: zlib.InflateRaw | null = null;
  const state: GunzipState = { consumed: () => done + (inflater?.bytesWritten ?? 0), trailingAt: null };
  async function* output(): AsyncGenerator<Buffer> {
    let at = 0;
    for (let member = 1; ; member++) {
      const start = await headerEnd(src, at, o.check);
      if (typeof start === 'string') {
        if (member === 1) o.note(`gzip: ${start}`);
        else if (start === 'not a gzip member') {
          if (!(await zerosToEnd(src, at, o.check))) {
            o.note(`gzip: trailing garbage after member ${member - 1} ignored (${src.size - at} bytes)`);
            state.trailingAt = at;
          }
        } else o.note(`gzip: member ${member}: ${start}`);
        return;
      }
      done = start;
      // Z_SYNC_FLUSH at the end: a truncated stream ends with what it decoded instead of an error.
      const inf = zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
      inflater = inf;
      const input = Readable.from(src.chunks(start));
      input.on('error', (e) => inf.destroy(e));
      input.pipe(inf);
      try {
        // destroyOnReturn false: destroyed below, not with an AbortError when the walk stops early.
        for await (const c of inf.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) yield c;
      } catch (e) {
        // Corrupt deflate data: zlib reports it without the output of the failing call.
        if (!(e as { code?: string }).code?.startsWith('Z_')) throw e;
        o.note(`gzip: member ${member}: ${(e as Error).message}`);
        return;
      } finally {
        // The stream ends itself at the end of the deflate data (bytesWritten is then exact).
        done = start + inf.bytesWritten;
        inflater = null;
        input.unpipe(inf);
        input.destroy();
        inf.destroy();
      }
      at = done + 8; // CRC32 and ISIZE (not checked: the content is scanned either way)
      if (at > src.size) {
        o.note(`gzip: member ${member} is truncated`);
        return;
      }
      done = at;
      if (at === src.size) return;
    }
  }
  return { output: output(), state };
}

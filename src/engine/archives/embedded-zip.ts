// src/engine/archives/embedded-zip.ts — zips that do not start at byte 0: a self-extractor (an ELF
// or PE stub, a script) or any other prefix before a zip. unzip and ClamAV find them from the end
// of the file; so does the walker, for the scanned file and for members of other archives.
// TailKeeper keeps what a streamed member needs for that without a second read: the member
// whole while it is small, else its last ZIP_END_WINDOW bytes.
// Owns: the tail check. Must not: parse directories (zip-directory.ts) or walk.
import type { ByteSource } from './source.js';
import { findZipEnd, mayEndInZip, ZIP_END_WINDOW, type ZipEnd } from './zip-directory.js';

/**
 * The zip at the end of `src` (an end record whose directory is where it says, after a prefix),
 * or null. A zip of no entries is not one: there is nothing in it to hide.
 */
export async function zipAtEnd(src: ByteSource, tail?: Buffer): Promise<ZipEnd | null> {
  let t = tail;
  const n = Math.min(ZIP_END_WINDOW, src.size);
  if (!t && src.buffer) t = src.buffer.subarray(src.size - n);
  if (!t) {
    t = Buffer.alloc(n);
    t = t.subarray(0, await src.readInto(t, 0, n, src.size - n));
  }
  if (!mayEndInZip(t)) return null;
  const end = await findZipEnd(src, t);
  return end && end.entryCount > 0 ? end : null;
}

/** The chunks of a member as they stream to the scanner, kept for a look at its end. */
export class TailKeeper {
  private parts: Buffer[] = [];
  private len = 0;
  private whole = true;
  private complete = false;

  /** Members up to `keepWhole` bytes are kept whole (references to their chunks, no copy). */
  constructor(private readonly keepWhole: number) {}

  async *through(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const c of chunks) {
      this.parts.push(c);
      this.len += c.length;
      if (this.len > this.keepWhole) {
        this.whole = false;
        while (this.parts.length > 1 && this.len - this.parts[0]!.length >= ZIP_END_WINDOW) this.len -= this.parts.shift()!.length;
      }
      yield c;
    }
    this.complete = true;
  }

  /** The member's last bytes (up to ZIP_END_WINDOW), once it was read to its end; else null. */
  tail(): Buffer | null {
    if (!this.complete) return null;
    // Only the parts that cover the window are joined (most members arrive as one chunk).
    let k = this.parts.length;
    let n = 0;
    while (k > 0 && n < ZIP_END_WINDOW) n += this.parts[--k]!.length;
    const t = k === this.parts.length - 1 ? this.parts[k]! : Buffer.concat(this.parts.slice(k), n);
    return t.subarray(Math.max(0, t.length - ZIP_END_WINDOW));
  }

  /** The whole member when it was small enough to keep, else null. */
  all(): Buffer | null {
    if (!this.complete || !this.whole) return null;
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
  }

  release(): void {
    this.parts = [];
    this.len = 0;
  }
}

// src/engine/archives/byte-reader.ts — a pull reader over a stream of chunks: read/peek exact byte
// counts, hand on a bounded run of bytes as chunks, skip. Used by the tar reader, the CVD reader
// and the archive walker so that nothing needs the whole stream in memory.
// Owns: buffering of at most the bytes a caller asked for. Must not: know any file format.

export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private ended = false;
  /** Bytes handed out (read, taken or skipped) so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    if (b.length > 0) {
      this.pending.push(b);
      this.pendingLen += b.length;
    }
    return true;
  }

  private async fill(n: number): Promise<void> {
    while (this.pendingLen < n && (await this.pull()));
  }

  private takeBuffered(n: number): Buffer {
    const want = Math.min(n, this.pendingLen);
    if (want === 0) return Buffer.alloc(0);
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= want) {
      out = first.subarray(0, want);
      if (first.length === want) this.pending.shift();
      else this.pending[0] = first.subarray(want);
    } else {
      out = Buffer.allocUnsafe(want);
      let off = 0;
      while (off < want) {
        const c = this.pending[0]!;
        const k = Math.min(c.length, want - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.pending.shift();
        else this.pending[0] = c.subarray(k);
      }
    }
    this.pendingLen -= want;
    this.position += want;
    return out;
  }

  /** Up to n bytes (fewer only at the end of the stream). */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    return this.takeBuffered(n);
  }

  /** Up to n bytes without consuming them. */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const want = Math.min(n, this.pendingLen);
    if (this.pending.length === 1 || want <= (this.pending[0]?.length ?? 0)) return (this.pending[0] ?? Buffer.alloc(0)).subarray(0, want);
    const joined = Buffer.concat(this.pending, this.pendingLen);
    this.pending = [joined];
    return joined.subarray(0, want);
  }

  /** The next n bytes as they arrive, in chunks (ends early only at the end of the stream). */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pendingLen === 0 && !(await this.pull())) return;
      if (this.pendingLen === 0) continue;
      const c = this.takeBuffered(Math.min(left, this.pending[0]!.length));
      left -= c.length;
      yield c;
    }
  }

  /** Everything that is left. */
  async *rest(): AsyncGenerator<Buffer> {
    yield* this.take(Number.MAX_SAFE_INTEGER);
  }

  /** Discards n bytes; returns how many were actually there. */
  async skip(n: number): Promise<number> {
    let got = 0;
    for await (const c of this.take(n)) got += c.length;
    return got;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.pendingLen === 0;
  }

  /** Stops the underlying stream (destroys it when it is a Node stream). */
  async close(): Promise<void> {
    this.pending = [];
    this.pendingLen = 0;
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}

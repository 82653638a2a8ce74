// src/engine/read-pass.ts — the ONE read pass over a file or stream: each chunk, as it is
// read, feeds the Vectorscan stream (read and scanned in one native threadpool call for fds),
// the hashes the definition set needs for this size, the EICAR head and, for files up to
// yaraMaxFileSize when YARA has work (YARA rules, or body signatures in fallback mode), a
// whole-file buffer that is read into directly (unless the rules read the fd themselves: the
// scanner process). The pass does not run YARA: the engine does,
// only when nothing else detected the file (engine.ts), and libyara reads that buffer in place.
// Files are read in chunks (default 256 KiB: a chunk read by pread is still in the CPU cache
// when Vectorscan scans it; measured 10-25% faster per core than 1 MiB) and never held whole
// beyond that YARA buffer.
// Owns: reading and feeding. Must not: decide verdicts (engine.ts) or open/close files.
import fs from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import type { DefinitionSet } from '../definitions/definition-set.js';
import type { HashKind } from '../definitions/hash-index.js';
import { EICAR_MAX_SIZE } from '../definitions/eicar.js';
import type { VectorscanStream } from './patterns/vectorscan.js';
import type { ScanContext } from './types.js';

export interface PassOptions {
  chunkSize: number;
  yaraMaxFileSize: number;
}

export interface PassResult {
  bytes: number;
  digests: Map<HashKind, Buffer>;
  head: Buffer;
  bodyIds: Uint32Array;
  /** The whole file for YARA (when the set has YARA work and the file fits yaraMaxFileSize). */
  yaraData?: Buffer;
  /** Instead of yaraData, for rule sets that read the file themselves (the scanner process). */
  yaraFd?: number;
  /** YARA had work but the file was larger than yaraMaxFileSize. */
  yaraSkipped: boolean;
}

export class TooLarge extends Error {}
/** Bytes read and scanned per threadpool trip when JS needs no chunk (see passFd). */
const BATCH_BYTES = 16 << 20;
export class Cancelled extends Error {}

function readFd(fd: number, buf: Buffer, len: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, len, position, (err, n) => (err ? reject(err) : resolve(n))));
}

class Pass {
  readonly hashers = new Map<HashKind, Hash>();
  readonly stream: VectorscanStream | undefined;
  readonly wantsYara: boolean;
  head = Buffer.alloc(0);
  yaraParts: Buffer[] | undefined;
  yaraBytes = 0;
  yaraSkipped = false;
  bytes = 0;

  constructor(
    readonly set: DefinitionSet,
    readonly size: number | undefined,
    readonly ctx: ScanContext,
    readonly opts: PassOptions,
  ) {
    const kinds = set.hashKindsFor(size);
    if (ctx.computeHash) kinds.add('sha256');
    for (const k of kinds) this.hashers.set(k, createHash(k));
    this.stream = set.vectorscan?.open(size ?? -1);
    this.wantsYara = set.yara !== undefined;
    if (this.wantsYara) {
      if (size !== undefined && size > opts.yaraMaxFileSize) this.yaraSkipped = true;
      else this.yaraParts = [];
    }
  }

  checkpoint(): void {
    if (this.ctx.signal?.aborted) throw new Cancelled();
    if (this.ctx.maxFileSize > 0 && this.bytes > this.ctx.maxFileSize) throw new TooLarge();
  }

  /**
   * Everything but Vectorscan (which saw the chunk when it was read or is fed by the caller).
   * `bytes` may exceed chunk.length when a batch reused the chunk buffer (no hashers then).
   */
  take(chunk: Buffer, keepForYara: boolean, bytes = chunk.length): void {
    this.bytes += bytes;
    for (const h of this.hashers.values()) h.update(chunk);
    if (this.head.length <= EICAR_MAX_SIZE) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, EICAR_MAX_SIZE + 1 - this.head.length)]);
    }
    if (keepForYara && this.yaraParts) {
      this.yaraBytes += chunk.length;
      if (this.yaraBytes > this.opts.yaraMaxFileSize) {
        this.yaraParts = undefined;
        this.yaraSkipped = true;
      } else this.yaraParts.push(chunk);
    }
  }

  /** YARA reads the fd itself: no whole-file copy is kept for it. */
  yaraByFd(): void {
    this.yaraParts = undefined;
  }

  finish(whole: Buffer | undefined, fd?: number): PassResult {
    const bodyIds = this.stream ? this.stream.close(this.bytes) : new Uint32Array(0);
    const digests = new Map<HashKind, Buffer>();
    for (const [k, h] of this.hashers) digests.set(k, h.digest());
    const out: PassResult = { bytes: this.bytes, digests, head: this.head, bodyIds, yaraSkipped: this.yaraSkipped };
    if (this.set.yara && !this.yaraSkipped) {
      if (fd !== undefined && !whole && !this.yaraParts) out.yaraFd = fd;
      else out.yaraData = whole ? whole.subarray(0, this.bytes) : Buffer.concat(this.yaraParts ?? []);
    }
    return out;
  }

  abandon(): void {
    this.stream?.close(this.bytes);
  }
}

/** Reads `size` bytes of `fd` from offset 0 with positioned reads (the fd offset is untouched). */
export async function passFd(set: DefinitionSet, fd: number, size: number, ctx: ScanContext, opts: PassOptions): Promise<PassResult> {
  const p = new Pass(set, size, ctx, opts);
  if (set.yara?.takesFd) p.yaraByFd();
  try {
    // Read straight into the buffer YARA will get, when it gets one: no copy.
    const whole = p.yaraParts ? Buffer.allocUnsafeSlow(size) : undefined;
    const chunk = whole ? undefined : takeChunk(Math.max(1, Math.min(opts.chunkSize, size)));
    // When JS needs no chunk (no hash for this size, no YARA buffer) or the chunks land in the
    // whole-file buffer anyway, Vectorscan reads up to 16 MiB of chunks per threadpool trip.
    const batch = p.stream && (whole || p.hashers.size === 0) ? Math.max(1, Math.floor(BATCH_BYTES / opts.chunkSize)) : 1;
    let pos = 0;
    while (pos < size) {
      p.checkpoint();
      const len = Math.min(opts.chunkSize, size - pos);
      const total = Math.min(len * batch, size - pos);
      const target = whole ? whole.subarray(pos, pos + total) : chunk!;
      const n = p.stream ? await p.stream.readAndScan(fd, target, len, pos, total, whole !== undefined) : await readFd(fd, target, len, pos);
      if (n === 0) break; // the file shrank while we read it: scan what there was
      p.take(target.subarray(0, Math.min(n, target.length)), false, n);
      pos += n;
      if (n < total && p.stream) break;
    }
    const out = p.finish(whole, fd);
    if (chunk) giveChunk(chunk);
    return out;
  } catch (e) {
    p.abandon();
    throw e;
  }
}

// A few full-size chunk buffers are reused: allocating one per scan adds external-memory
// pressure that triggers V8 garbage collections on the event loop. Bounded; a buffer still in
// a failed native call is simply not returned.
const freeChunks: Buffer[] = [];
function takeChunk(size: number): Buffer {
  const b = freeChunks.pop();
  if (b && b.length === size) return b;
  return Buffer.allocUnsafeSlow(size);
}
function giveChunk(b: Buffer): void {
  if (b.length >= 64 << 10 && freeChunks.length < 8) freeChunks.push(b);
}

/** Scans a stream of chunks (archive members); `size` undefined when not known up front. */
export async function passChunks(set: DefinitionSet, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number | undefined, ctx: ScanContext, opts: PassOptions): Promise<PassResult> {
  const p = new Pass(set, size, ctx, opts);
  try {
    for await (const c of chunks) {
      if (typeof c === 'string') throw new TypeError('scanStream needs binary chunks, not strings');
      const buf = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      if (buf.length === 0) continue;
      if (p.stream) {
        const scanned = p.stream.scan(buf);
        if (typeof scanned !== 'number') await scanned;
      }
      p.take(buf, true);
      p.checkpoint();
    }
    return p.finish(undefined);
  } catch (e) {
    p.abandon();
    throw e;
  }
}

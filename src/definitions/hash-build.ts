// src/definitions/hash-build.ts — builds the compact hash tables of hash-index.ts from records
// added one by one: in-place American-flag passes on the first two digest bytes (memory is
// touched in a few streams — random access over a 100 MB table costs ~1.5 us per record on a
// VM), then large buckets sorted. The native parser (patterns_hashdb.cc) builds the same layout.
// Owns: building. Must not: parse lines (hash-sigs.ts) or query (hash-index.ts).
import { ANY_SIZE, DIGEST_LENGTH, HashTable, SMALL_BUCKET, type HashKind } from './hash-index.js';

function put32(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

function get32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Compares n bytes at offsets a and b of buf (records: digest then size). */
function cmp(buf: Buffer, a: number, b: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const x = buf[a + i]!;
    const y = buf[b + i]!;
    if (x !== y) return x - y;
  }
  return 0;
}

export class HashTableBuilder {
  readonly width: number;
  private buf: Buffer;
  private count = 0;

  constructor(readonly kind: HashKind, expected = 1024) {
    this.width = DIGEST_LENGTH[kind] + 12;
    // Untouched capacity costs address space, not RSS. Own ArrayBuffer (offset 0), so the
    // sort can move records as 32-bit words.
    this.buf = Buffer.allocUnsafeSlow(Math.max(16, expected) * this.width);
  }

  /** Adds a record; `digest` is read from src[at .. at+digestLength). */
  add(src: Buffer, at: number, size: number, ref: number, num: number): void {
    const w = this.width;
    if ((this.count + 1) * w > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.ceil((this.buf.length * 1.5) / w + 1) * w);
      this.buf.copy(grown, 0, 0, this.count * w);
      this.buf = grown;
    }
    const b = this.buf;
    const o = this.count * w;
    const d = w - 12;
    for (let i = 0; i < d; i++) b[o + i] = src[at + i]!;
    put32(b, o + d, size);
    put32(b, o + d + 4, ref);
    put32(b, o + d + 8, num);
    this.count++;
  }

  get length(): number {
    return this.count;
  }

  build(): HashTable {
    const w = this.width;
    const d = w - 12;
    const n = this.count;
    const buf = this.buf.subarray(0, n * w);
    this.buf = Buffer.alloc(0);
    // Sorted by digest in place: two American-flag passes on the first two digest bytes (256
    // buckets each, so memory is touched in a few streams — random access over a 100 MB table
    // costs ~1.5 us per record on a VM), then a small sort inside each 2-byte bucket.
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const offsets = new Uint32Array(65537);
    const top = new Uint32Array(256);
    flagPass(buf, words, w, 0, n, 0, top, 0);
    const sub = new Uint32Array(256);
    for (let b = 0; b < 256; b++) {
      const lo = top[b]!;
      const hi = b === 255 ? n : top[b + 1]!;
      flagPass(buf, words, w, lo, hi, 1, sub, 0);
      for (let k = 0; k < 256; k++) offsets[(b << 8) + k] = lo + sub[k]!;
    }
    offsets[65536] = n;
    const sorter = new BucketSorter(buf, w, d);
    for (let b = 0; b < 65536; b++) sorter.sort(offsets[b]!, offsets[b + 1]!);
    const sizes = new Uint32Array(n);
    let ns = 0;
    let anySize = false;
    for (let i = 0; i < n; i++) {
      const s = get32(buf, i * w + d);
      if (s === ANY_SIZE) anySize = true;
      else sizes[ns++] = s;
    }
    const sorted = sizes.subarray(0, ns).sort();
    let u = 0;
    for (let i = 0; i < ns; i++) if (i === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i]!;
    return new HashTable(this.kind, buf, offsets, sorted.slice(0, u), anySize);
  }
}

/**
 * In-place American flag pass over records [lo, hi) on digest byte `byte`; writes the start of
 * each of the 256 buckets (relative to lo) into starts[at .. at+256).
 */
function flagPass(buf: Buffer, words: Uint32Array, w: number, lo: number, hi: number, byte: number, starts: Uint32Array, at: number): void {
  const count = new Uint32Array(257);
  for (let i = lo; i < hi; i++) count[buf[i * w + byte]! + 1]!++;
  for (let b = 0; b < 256; b++) count[b + 1]! += count[b]!;
  const next = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    next[b] = lo + count[b]!;
    starts[at + b] = byte === 0 ? lo + count[b]! : count[b]!;
  }
  const ww = w >> 2;
  for (let b = 0; b < 256; b++) {
    const end = lo + count[b + 1]!;
    while (next[b]! < end) {
      const i = next[b]!;
      const k = buf[i * w + byte]!;
      if (k === b) {
        next[b]!++;
        continue;
      }
      const j = next[k]!++;
      const a = i * ww;
      const c = j * ww;
      for (let x = 0; x < ww; x++) {
        const v = words[a + x]!;
        words[a + x] = words[c + x]!;
        words[c + x] = v;
      }
    }
  }
}


/** Sorts the records of one 2-byte bucket by digest then size, when it is large. */
class BucketSorter {
  private keys = new Float64Array(64);
  private idx = new Uint32Array(64);
  private tmp = Buffer.allocUnsafe(64 * 64);

  constructor(
    private readonly buf: Buffer,
    private readonly w: number,
    private readonly d: number,
  ) {}

  sort(lo: number, hi: number): void {
    const len = hi - lo;
    if (len <= SMALL_BUCKET) return; // scanned linearly by lookup()
    const { buf, w, d } = this;
    if (this.idx.length < len) {
      this.keys = new Float64Array(len);
      this.idx = new Uint32Array(len);
      this.tmp = Buffer.allocUnsafe(len * w);
    }
    const keys = this.keys;
    const idx = this.idx;
    let ordered = true;
    for (let i = 0; i < len; i++) {
      const o = (lo + i) * w + 2;
      keys[i] = ((buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!) * 65536 + ((buf[o + 3]! << 8) | buf[o + 4]!);
      idx[i] = i;
      if (i > 0 && keys[i]! < keys[i - 1]!) ordered = false;
    }
    const kl = d + 4; // digest then size: equal digests end up adjacent whatever their sizes
    const less = (a: number, b: number): boolean => keys[a]! < keys[b]! || (keys[a] === keys[b] && cmp(buf, (lo + a) * w, (lo + b) * w, kl) < 0);
    if (ordered && !hasTies(keys, len)) return;
    if (len <= 256) {
      for (let i = 1; i < len; i++) {
        const v = idx[i]!;
        let j = i;
        while (j > 0 && less(v, idx[j - 1]!)) {
          idx[j] = idx[j - 1]!;
          j--;
        }
        idx[j] = v;
      }
    } else {
      // Only hostile input (many digests sharing a prefix) gets here.
      const arr = Array.from(idx.subarray(0, len));
      arr.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
      idx.set(arr);
    }
    const tmp = this.tmp;
    for (let i = 0; i < len; i++) {
      const from = (lo + idx[i]!) * w;
      for (let x = 0; x < w; x++) tmp[i * w + x] = buf[from + x]!;
    }
    tmp.copy(buf, lo * w, 0, len * w);
  }
}

function hasTies(keys: Float64Array, len: number): boolean {
  for (let i = 1; i < len; i++) if (keys[i] === keys[i - 1]) return true;
  return false;
}

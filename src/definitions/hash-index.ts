// src/definitions/hash-index.ts — compact storage of millions of hash signatures.
// Per hash type one Buffer of fixed-width records (digest, size u32, name ref u32, name
// number u32) sorted by digest, with a bucket index on the leading digest bits (about one record per bucket),
// plus a sorted Uint32Array of the distinct sizes so "does any signature of this size exist?"
// is one binary search. Names are split into a deduplicated prefix and a packed numeric
// suffix (`Win.Trojan.Agent` + `-6340573-0`), so 4 M names cost ~8 bytes each, not 4 M strings.
// Owns: building and querying the tables. Must not: parse files (hash-sigs.ts does).

export type HashKind = 'md5' | 'sha1' | 'sha256';
export const HASH_KINDS: readonly HashKind[] = ['md5', 'sha1', 'sha256'];
export const DIGEST_LENGTH: Record<HashKind, number> = { md5: 16, sha1: 20, sha256: 32 };
/** Size field value of a `*` (any size) signature. ClamAV stores sizes as uint32 too. */
export const ANY_SIZE = 0xffffffff;

const SUFFIX = /^(.*\S)-(0|[1-9]\d{0,8})-(\d)$/;

/** Deduplicated name prefixes; a name is (ref, num) with num 0 = no numeric suffix. */
export class NameTable {
  private readonly refs = new Map<string, number>();
  private readonly prefixes: string[] = [];

  encode(name: string): [number, number] {
    const m = SUFFIX.exec(name);
    const prefix = m ? m[1]! : name;
    const num = m ? Number(m[2]) * 10 + Number(m[3]) + 1 : 0;
    let ref = this.refs.get(prefix);
    if (ref === undefined) {
      ref = this.prefixes.length;
      this.prefixes.push(prefix);
      this.refs.set(prefix, ref);
    }
    return [ref, num];
  }

  decode(ref: number, num: number): string {
    const prefix = this.prefixes[ref] ?? '?';
    if (num === 0) return prefix;
    const n = num - 1;
    return `${prefix}-${Math.floor(n / 10)}-${n % 10}`;
  }

  get size(): number {
    return this.prefixes.length;
  }
}

export class HashTableBuilder {
  readonly width: number;
  private buf: Buffer;
  private count = 0;

  constructor(readonly kind: HashKind, expected = 1024) {
    this.width = DIGEST_LENGTH[kind] + 12;
    this.buf = Buffer.allocUnsafe(Math.max(16, expected) * this.width);
  }

  /** Adds a record; `digest` is read from src[at .. at+digestLength). */
  add(src: Buffer, at: number, size: number, ref: number, num: number): void {
    if ((this.count + 1) * this.width > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(grown, 0, 0, this.count * this.width);
      this.buf = grown;
    }
    const o = this.count * this.width;
    const d = DIGEST_LENGTH[this.kind];
    src.copy(this.buf, o, at, at + d);
    this.buf.writeUInt32BE(size, o + d);
    this.buf.writeUInt32BE(ref, o + d + 4);
    this.buf.writeUInt32BE(num, o + d + 8);
    this.count++;
  }

  get length(): number {
    return this.count;
  }

  build(): HashTable {
    const w = this.width;
    const d = DIGEST_LENGTH[this.kind];
    const n = this.count;
    // Bucket (counting) sort on the first `bits` digest bits (about one record per bucket, as
    // digests are uniform), then sort what shares a bucket. No per-record JS objects.
    const bits = Math.min(22, Math.max(8, Math.ceil(Math.log2(n + 1))));
    const shift = 24 - bits;
    const nb = 1 << bits;
    const src = this.buf;
    const key = (i: number): number => ((src[i * w]! << 16) | (src[i * w + 1]! << 8) | src[i * w + 2]!) >>> shift;
    const offsets = new Uint32Array(nb + 1);
    for (let i = 0; i < n; i++) offsets[key(i) + 1]!++;
    for (let b = 0; b < nb; b++) offsets[b + 1]! += offsets[b]!;
    const next = offsets.slice(0, nb);
    const out = Buffer.allocUnsafe(n * w);
    for (let i = 0; i < n; i++) {
      const b = key(i);
      src.copy(out, next[b]! * w, i * w, i * w + w);
      next[b]!++;
    }
    this.buf = Buffer.alloc(0);
    const sizes = new Uint32Array(n);
    let ns = 0;
    let anySize = false;
    for (let i = 0; i < n; i++) {
      const s = out.readUInt32BE(i * w + d);
      if (s === ANY_SIZE) anySize = true;
      else sizes[ns++] = s;
    }
    const sorted = sizes.subarray(0, ns).sort();
    let u = 0;
    for (let i = 0; i < ns; i++) if (i === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i]!;
    const tmp = Buffer.allocUnsafe(w);
    for (let b = 0; b < nb; b++) sortBucket(out, offsets[b]!, offsets[b + 1]!, w, d, tmp);
    return new HashTable(this.kind, out, offsets, shift, sorted.slice(0, u), anySize);
  }
}

function compareRecords(buf: Buffer, a: number, b: number, w: number, d: number): number {
  // Digest then size: equal digests end up adjacent whatever their sizes.
  return buf.compare(buf, b * w, b * w + d + 4, a * w, a * w + d + 4);
}

function sortBucket(buf: Buffer, lo: number, hi: number, w: number, d: number, tmp: Buffer): void {
  const len = hi - lo;
  if (len < 2) return;
  if (len <= 16) {
    for (let i = lo + 1; i < hi; i++) {
      let j = i;
      if (compareRecords(buf, j - 1, j, w, d) <= 0) continue;
      buf.copy(tmp, 0, i * w, i * w + w);
      while (j > lo && buf.compare(tmp, 0, d + 4, (j - 1) * w, (j - 1) * w + d + 4) > 0) {
        buf.copy(buf, j * w, (j - 1) * w, j * w);
        j--;
      }
      tmp.copy(buf, j * w);
    }
    return;
  }
  // Only hostile input (many digests sharing a prefix) gets here.
  const idx = Array.from({ length: len }, (_, i) => lo + i);
  idx.sort((a, b) => compareRecords(buf, a, b, w, d));
  const out = Buffer.allocUnsafe(len * w);
  idx.forEach((from, i) => buf.copy(out, i * w, from * w, from * w + w));
  out.copy(buf, lo * w);
}

export interface HashHit {
  ref: number;
  num: number;
  size: number;
}

export class HashTable {
  readonly width: number;
  readonly digestLength: number;

  constructor(
    readonly kind: HashKind,
    private readonly records: Buffer,
    private readonly buckets: Uint32Array,
    private readonly shift: number,
    private readonly sizes: Uint32Array,
    /** A `*` signature exists: every file must be hashed with this kind. */
    readonly anySize: boolean,
  ) {
    this.width = DIGEST_LENGTH[kind] + 12;
    this.digestLength = DIGEST_LENGTH[kind];
  }

  get count(): number {
    return this.records.length / this.width;
  }

  get bytes(): number {
    return this.records.length + this.buckets.byteLength + this.sizes.byteLength;
  }

  /** Whether a file of `size` bytes must be hashed with this kind. */
  wants(size: number): boolean {
    if (this.anySize) return true;
    if (size >= ANY_SIZE || this.sizes.length === 0) return false;
    let lo = 0;
    let hi = this.sizes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.sizes[mid]!;
      if (v === size) return true;
      if (v < size) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The first signature with this digest and this size (or `*`). */
  lookup(digest: Buffer, size: number): HashHit | undefined {
    if (digest.length !== this.digestLength) return undefined;
    const w = this.width;
    const d = this.digestLength;
    const b = ((digest[0]! << 16) | (digest[1]! << 8) | digest[2]!) >>> this.shift;
    let lo = this.buckets[b]!;
    let hi = this.buckets[b + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records.compare(digest, 0, d, mid * w, mid * w + d) < 0) lo = mid + 1;
      else hi = mid;
    }
    const end = this.buckets[b + 1]!;
    for (let i = lo; i < end && digest.compare(this.records, i * w, i * w + d) === 0; i++) {
      const s = this.records.readUInt32BE(i * w + d);
      if (s === size || s === ANY_SIZE) {
        return { ref: this.records.readUInt32BE(i * w + d + 4), num: this.records.readUInt32BE(i * w + d + 8), size: s };
      }
    }
    return undefined;
  }
}

// src/definitions/hash-index.ts — compact storage of millions of hash signatures.
// Per hash type one Buffer of fixed-width records (digest, size u32, name ref u32, name
// number u32) grouped by the first two digest bytes (a 65,536-entry bucket index; small
// buckets are scanned, large ones sorted and binary-searched), plus a sorted Uint32Array of
// the distinct sizes, so "does any signature of this size exist?" is one binary search. Names
// are split into a deduplicated prefix and a packed numeric suffix (`Win.Trojan.Agent` +
// `-6340573-0`): 4 M names cost 8 bytes each, not 4 M strings. The native parser
// (native/core/patterns_hashdb.cc) builds the same layout.
// Owns: building and querying the tables. Must not: parse files (hash-sigs.ts does).

export type HashKind = 'md5' | 'sha1' | 'sha256';
export const HASH_KINDS: readonly HashKind[] = ['md5', 'sha1', 'sha256'];
export const DIGEST_LENGTH: Record<HashKind, number> = { md5: 16, sha1: 20, sha256: 32 };
/** Size field value of a `*` (any size) signature. ClamAV stores sizes as uint32 too. */
export const ANY_SIZE = 0xffffffff;

/**
 * Deduplicated name prefixes; a name is (ref, num) with num 0 = no numeric suffix, else
 * N*10+R+1 for a `-N-R` suffix (N up to 9 digits without a leading zero, R one digit, the
 * packed value within 32 bits: it is stored as a u32).
 * Works on bytes so that loading millions of lines creates no per-line strings.
 */
export class NameTable {
  private readonly byHash = new Map<number, number>();
  private readonly chain: number[] = [];
  private readonly prefixes: string[] = [];
  private readonly raw: Buffer[] = [];
  /** Set by encodeBytes: the packed numeric suffix of the last name. */
  num = 0;

  encode(name: string): [number, number] {
    const b = Buffer.from(name, 'utf8');
    const ref = this.encodeBytes(b, 0, b.length);
    return [ref, this.num];
  }

  /** Name in buf[s..e): returns the prefix ref, leaves the suffix number in `this.num`. */
  encodeBytes(buf: Buffer, s: number, e: number): number {
    let end = e;
    this.num = 0;
    const r = buf[e - 1]! - 48;
    if (e - s >= 5 && r >= 0 && r <= 9 && buf[e - 2] === 45) {
      let j = e - 3;
      let n = 0;
      let mul = 1;
      while (j >= s && buf[j]! >= 48 && buf[j]! <= 57 && e - 3 - j < 9) {
        n += (buf[j]! - 48) * mul;
        mul *= 10;
        j--;
      }
      const digits = e - 3 - j;
      const lead = buf[j + 1];
      const packed = n * 10 + r + 1;
      if (digits > 0 && j > s && buf[j] === 45 && (digits === 1 || lead !== 48) && buf[j - 1] !== 32 && buf[j - 1] !== 9 && packed <= 0xffffffff) {
        end = j;
        this.num = packed;
      }
    }
    return this.intern(buf, s, end);
  }

  /** The ref of prefix buf[s..end), added verbatim when new. */
  private intern(buf: Buffer, s: number, end: number): number {
    // Hash only the length and the first and last 4 bytes (the compare below is exact): hashing
    // every byte of 4 M names was a third of the load time.
    const len = end - s;
    let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
    const k = Math.min(4, len);
    for (let i = 0; i < k; i++) h = Math.imul(h ^ buf[s + i]!, 0x01000193);
    for (let i = 1; i <= k; i++) h = Math.imul(h ^ buf[end - i]!, 0x01000193);
    for (let ref = this.byHash.get(h); ref !== undefined; ref = this.chain[ref]! >= 0 ? this.chain[ref] : undefined) {
      const p = this.raw[ref]!;
      if (p.length !== end - s) continue;
      let i = 0;
      while (i < p.length && p[i] === buf[s + i]) i++;
      if (i === p.length) return ref;
    }
    const ref = this.prefixes.length;
    const p = Buffer.from(buf.subarray(s, end));
    this.raw.push(p);
    this.prefixes.push(p.toString('utf8'));
    this.chain.push(this.byHash.get(h) ?? -1);
    this.byHash.set(h, ref);
    return ref;
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

  /** For moving a table between threads. */
  exportPrefixes(): string[] {
    return this.prefixes;
  }

  static fromPrefixes(prefixes: readonly string[]): NameTable {
    const t = new NameTable();
    for (const p of prefixes) {
      const b = Buffer.from(p, 'utf8');
      t.intern(b, 0, b.length);
    }
    return t;
  }
}

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

/**
 * Buckets up to this many records stay unsorted and are scanned linearly by lookup() (about 60
 * for 4 M records; a lookup only happens for a file whose size has a signature). Larger ones —
 * only hostile input makes them — are sorted by digest then size and binary-searched.
 */
const SMALL_BUCKET = 128;

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

  /** The table's memory, for moving it to another thread (see fromParts). */
  exportParts(): { kind: HashKind; records: Buffer; buckets: Uint32Array; sizes: Uint32Array; anySize: boolean } {
    return { kind: this.kind, records: this.records, buckets: this.buckets, sizes: this.sizes, anySize: this.anySize };
  }

  static fromParts(p: { kind: HashKind; records: Uint8Array; buckets: Uint32Array; sizes: Uint32Array; anySize: boolean }): HashTable {
    const records = Buffer.from(p.records.buffer, p.records.byteOffset, p.records.byteLength);
    return new HashTable(p.kind, records, p.buckets, p.sizes, p.anySize);
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
    const b = (digest[0]! << 8) | digest[1]!;
    let lo = this.buckets[b]!;
    let hi = this.buckets[b + 1]!;
    const end = hi;
    if (hi - lo <= SMALL_BUCKET) {
      for (let i = lo; i < end; i++) {
        const o = i * w;
        let k = 2;
        while (k < d && this.records[o + k] === digest[k]) k++;
        if (k < d) continue;
        const s = this.records.readUInt32BE(o + d);
        if (s === size || s === ANY_SIZE) return { ref: this.records.readUInt32BE(o + d + 4), num: this.records.readUInt32BE(o + d + 8), size: s };
      }
      return undefined;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records.compare(digest, 0, d, mid * w, mid * w + d) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < end && digest.compare(this.records, i * w, i * w + d) === 0; i++) {
      const s = this.records.readUInt32BE(i * w + d);
      if (s === size || s === ANY_SIZE) {
        return { ref: this.records.readUInt32BE(i * w + d + 4), num: this.records.readUInt32BE(i * w + d + 8), size: s };
      }
    }
    return undefined;
  }
}

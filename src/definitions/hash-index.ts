// src/definitions/hash-index.ts — compact storage of millions of hash signatures.
// Per hash type one Buffer of fixed-width records (digest, size u32, name ref u32, name
// number u32) grouped by the first two digest bytes (a 65,536-entry bucket index; small
// buckets are scanned, large ones sorted and binary-searched), plus a sorted Uint32Array of
// the distinct sizes, so "does any signature of this size exist?" is one binary search. Names
// are split into a deduplicated prefix and a packed numeric suffix (`Win.Trojan.Agent` +
// `-6340573-0`): 4 M names cost 8 bytes each, not 4 M strings. The native parser
// (native/core/patterns_hashdb.cc) builds the same layout.
// Owns: the layout and querying it. Must not: parse files (hash-sigs.ts) or build (hash-build.ts).

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
/**
 * Hashes only the length and the first and last 4 bytes of buf[s..end) (callers compare
 * exactly): hashing every byte of 4 M names was a third of the load time.
 */
function slotHash(buf: Buffer, s: number, end: number): number {
  const len = end - s;
  let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
  const k = Math.min(4, len);
  for (let i = 0; i < k; i++) h = Math.imul(h ^ buf[s + i]!, 0x01000193);
  for (let i = 1; i <= k; i++) h = Math.imul(h ^ buf[end - i]!, 0x01000193);
  return h ^ (h >>> 15);
}

export class NameTable {
  // Prefix `ref` is bytes[offsets[ref] .. offsets[ref + 1]); `slots` is an open-addressing
  // index of ref + 1 (0 = empty). Packed bytes, not a string and a Buffer per prefix: a list of
  // 100,000 names without a numeric suffix cost 20 MB of the daemon's heap that way.
  private bytes = Buffer.allocUnsafe(4096);
  private used = 0;
  private offsets = new Uint32Array(1024);
  private count = 0;
  private slots = new Int32Array(2048);
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
    const len = end - s;
    const mask = this.slots.length - 1;
    let i = slotHash(buf, s, end) & mask;
    for (let slot = this.slots[i]!; slot !== 0; i = (i + 1) & mask, slot = this.slots[i]!) {
      const o = this.offsets[slot - 1]!;
      if (this.offsets[slot]! - o === len && this.bytes.compare(buf, s, end, o, o + len) === 0) return slot - 1;
    }
    const ref = this.count;
    if (this.used + len > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + len));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    buf.copy(this.bytes, this.used, s, end);
    if (ref + 2 > this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[ref] = this.used;
    this.used += len;
    this.offsets[ref + 1] = this.used;
    this.count = ref + 1;
    this.slots[i] = ref + 1;
    // At most half full, so that a probe stays short.
    if (this.count * 2 > this.slots.length) this.rehash();
    return ref;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let ref = 0; ref < this.count; ref++) {
      let i = slotHash(this.bytes, this.offsets[ref]!, this.offsets[ref + 1]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = ref + 1;
    }
    this.slots = slots;
  }

  private prefix(ref: number): string {
    if (!(ref >= 0 && ref < this.count)) return '?';
    return this.bytes.toString('utf8', this.offsets[ref], this.offsets[ref + 1]);
  }

  decode(ref: number, num: number): string {
    const prefix = this.prefix(ref);
    if (num === 0) return prefix;
    const n = num - 1;
    return `${prefix}-${Math.floor(n / 10)}-${n % 10}`;
  }

  get size(): number {
    return this.count;
  }

  /** For moving a table between threads. */
  exportPrefixes(): string[] {
    const out: string[] = [];
    for (let ref = 0; ref < this.count; ref++) out.push(this.prefix(ref));
    return out;
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

/**
 * Buckets up to this many records stay unsorted and are scanned linearly by lookup() (about 60
 * for 4 M records; a lookup only happens for a file whose size has a signature). Larger ones —
 * only hostile input makes them — are sorted by digest then size and binary-searched.
 */
export const SMALL_BUCKET = 128;

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

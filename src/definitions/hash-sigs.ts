// src/definitions/hash-sigs.ts — ClamAV hash signatures (.hdb .hsb .hdu .hsu) and allow-lists
// (.fp .sfp): `Hash:Size:Name[:MinFL[:MaxFL]]`, the hash type given by its hex length (MD5 32,
// SHA1 40, SHA256 64), Size decimal or `*` (any size, accepted whatever its flevel, as
// ClamAV does). Parses bytes in place (no per-line strings except the name).
// Owns: line syntax → HashSetBuilder. Must not: read files (lines.ts) or decide verdicts.
import { ANY_SIZE, DIGEST_LENGTH, HashTableBuilder, NameTable, type HashKind, type HashTable } from './hash-index.js';

/** The ClamAV functionality level we implement (ClamAV 1.4.3 reports 213). */
export const ENGINE_FLEVEL = 213;

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const KIND_BY_HEX_LENGTH: Record<number, HashKind> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

export type LineOutcome = { ok: true } | { ok: false; skip: string } | { ok: false; malformed: string };
const OK: LineOutcome = { ok: true };

/** Parses an unsigned decimal in buf[s..e); -1 if not one (or above 2^53). */
export function parseUint(buf: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Whether a signature with these optional MinFL/MaxFL fields applies to our engine. */
export function flevelApplies(min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || min <= ENGINE_FLEVEL) && (max === undefined || max >= ENGINE_FLEVEL);
}

export class HashSetBuilder {
  readonly names = new NameTable();
  private readonly tables = new Map<HashKind, HashTableBuilder>();
  private readonly digest = Buffer.alloc(32);

  constructor(private readonly expected = 1024) {}

  /** Parses one line of a hash database into the set. */
  addLine(buf: Buffer, start: number, end: number): LineOutcome {
    const c1 = buf.indexOf(58, start);
    if (c1 < 0 || c1 >= end) return { ok: false, malformed: 'expected Hash:Size:Name' };
    const c2 = buf.indexOf(58, c1 + 1);
    if (c2 < 0 || c2 >= end) return { ok: false, malformed: 'expected Hash:Size:Name' };
    let c3 = buf.indexOf(58, c2 + 1);
    if (c3 < 0 || c3 > end) c3 = end;
    const kind = KIND_BY_HEX_LENGTH[c1 - start];
    if (!kind) return { ok: false, malformed: `hash of ${c1 - start} hex digits (expected 32, 40 or 64)` };
    for (let i = 0; i < c1 - start; i += 2) {
      const hi = HEX[buf[start + i]!]!;
      const lo = HEX[buf[start + i + 1]!]!;
      if (hi < 0 || lo < 0) return { ok: false, malformed: 'hash is not hexadecimal' };
      this.digest[i >> 1] = (hi << 4) | lo;
    }
    let size: number;
    if (c2 - c1 === 2 && buf[c1 + 1] === 42) size = ANY_SIZE;
    else {
      size = parseUint(buf, c1 + 1, c2);
      if (size < 0) return { ok: false, malformed: 'size is not a number or *' };
      if (size >= ANY_SIZE) return { ok: false, malformed: 'size above 4294967294 (ClamAV sizes are 32-bit)' };
    }
    if (c3 === c2 + 1) return { ok: false, malformed: 'empty signature name' };
    if (c3 < end) {
      const c4 = buf.indexOf(58, c3 + 1);
      const minEnd = c4 < 0 || c4 > end ? end : c4;
      const min = parseUint(buf, c3 + 1, minEnd);
      const max = minEnd < end ? parseUint(buf, minEnd + 1, end) : undefined;
      if (min < 0 || (max !== undefined && max < 0)) return { ok: false, malformed: 'functionality level is not a number' };
      if (!flevelApplies(min, max)) return { ok: false, skip: 'flevel' };
    }
    const [ref, num] = this.names.encode(buf.toString('utf8', c2 + 1, c3));
    let table = this.tables.get(kind);
    if (!table) {
      table = new HashTableBuilder(kind, this.expected);
      this.tables.set(kind, table);
    }
    table.add(this.digest, 0, size, ref, num);
    return OK;
  }

  build(): HashSet {
    const built = new Map<HashKind, HashTable>();
    for (const [kind, b] of this.tables) built.set(kind, b.build());
    return new HashSet(built, this.names);
  }
}

export interface HashMatch {
  name: string;
  kind: HashKind;
}

/** Immutable hash signatures of one role (detection or allow-list). */
export class HashSet {
  constructor(
    private readonly tables: ReadonlyMap<HashKind, HashTable>,
    private readonly names: NameTable,
  ) {}

  get count(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.count;
    return n;
  }

  get bytes(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.bytes;
    return n;
  }

  kinds(): HashKind[] {
    return [...this.tables.keys()];
  }

  /** Hash kinds a file of `size` bytes must be hashed with (usually none). */
  kindsFor(size: number, into: Set<HashKind>): void {
    for (const [kind, t] of this.tables) if (t.wants(size)) into.add(kind);
  }

  lookup(kind: HashKind, digest: Buffer, size: number): HashMatch | undefined {
    const t = this.tables.get(kind);
    const hit = t?.lookup(digest, size);
    return hit ? { name: this.names.decode(hit.ref, hit.num), kind } : undefined;
  }
}

export const EMPTY_HASH_SET = new HashSet(new Map(), new NameTable());
export { DIGEST_LENGTH };

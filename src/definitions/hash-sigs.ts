// src/definitions/hash-sigs.ts — ClamAV hash signatures (.hdb .hsb .hdu .hsu) and allow-lists
// (.fp .sfp): `Hash:Size:Name[:MinFL[:MaxFL]]`, the hash type given by its hex length (MD5 32,
// SHA1 40, SHA256 64), Size decimal or `*` (any size, accepted whatever its flevel, as
// ClamAV does). Parses bytes in place (no per-line strings except the name).
// Owns: line syntax → HashSetBuilder. Must not: read files (lines.ts) or decide verdicts.
import { ANY_SIZE, DIGEST_LENGTH, NameTable, type HashKind, type HashTable } from './hash-index.js';
import { HashTableBuilder } from './hash-build.js';

/** The ClamAV functionality level we implement (ClamAV 1.4.3 reports 213). */
export const ENGINE_FLEVEL = 213;

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** Value of two hex digits (c1 << 8 | c2), -1 when either is not one: one lookup per byte. */
const HEX_PAIR = new Int16Array(65536).fill(-1);
for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (HEX[a]! >= 0 && HEX[b]! >= 0) HEX_PAIR[(a << 8) | b] = (HEX[a]! << 4) | HEX[b]!;

function kindOf(hexLength: number): HashKind | undefined {
  return hexLength === 32 ? 'md5' : hexLength === 64 ? 'sha256' : hexLength === 40 ? 'sha1' : undefined;
}

/** Rough bytes per line (hash, size, name), to turn file sizes into a table capacity. */
const LINE_BYTES: Record<HashKind, number> = { md5: 60, sha1: 68, sha256: 92 };

function colon(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && buf[i] !== 58) i++;
  return i;
}

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
  private last: HashTableBuilder | undefined;

  /** `expectedBytes`: size of the files to load, to size the tables once. */
  constructor(private readonly expectedBytes = 65536) {}

  /** Parses one line of a hash database into the set (bytes in place; no strings). */
  addLine(buf: Buffer, start: number, end: number): LineOutcome {
    // A valid MD5 line has its first colon at 32, and a valid SHA1/SHA256 line a hex digit
    // there: try that before scanning (a malformed line that fools it fails the hex check and
    // is re-examined below). Colons are found by hand: indexOf would search past the line end.
    const c1 = end - start > 33 && buf[start + 32] === 58 ? start + 32 : colon(buf, start, end);
    if (c1 >= end) return { ok: false, malformed: 'expected Hash:Size:Name' };
    const kind = kindOf(c1 - start);
    if (!kind) return { ok: false, malformed: `hash of ${c1 - start} hex digits (expected 32, 40 or 64)` };
    const digest = this.digest;
    for (let i = start, k = 0; i < c1; i += 2, k++) {
      const v = HEX_PAIR[(buf[i]! << 8) | buf[i + 1]!]!;
      if (v < 0) {
        // Possibly an earlier colon than the one at 32: name the real length.
        const real = colon(buf, start, end) - start;
        return { ok: false, malformed: kindOf(real) ? 'hash is not hexadecimal' : `hash of ${real} hex digits (expected 32, 40 or 64)` };
      }
      digest[k] = v;
    }
    // Size: digits (or `*`) up to the next colon, in one pass.
    let i = c1 + 1;
    let size = 0;
    if (buf[i] === 42) {
      size = ANY_SIZE;
      i++;
    } else {
      while (i < end && i - c1 <= 15) {
        const d = buf[i]! - 48;
        if (d < 0 || d > 9) break;
        size = size * 10 + d;
        i++;
      }
      if (i === c1 + 1 || (i < end && buf[i] !== 58) || i - c1 > 15) {
        return colon(buf, c1 + 1, end) >= end ? { ok: false, malformed: 'expected Hash:Size:Name' } : { ok: false, malformed: 'size is not a number or *' };
      }
      if (size >= ANY_SIZE) return { ok: false, malformed: 'size above 4294967294 (ClamAV sizes are 32-bit)' };
    }
    const c2 = i;
    if (c2 >= end || buf[c2] !== 58) return { ok: false, malformed: 'expected Hash:Size:Name' };
    const c3 = colon(buf, c2 + 1, end);
    if (c3 === c2 + 1) return { ok: false, malformed: 'empty signature name' };
    if (c3 < end) {
      const c4 = colon(buf, c3 + 1, end);
      const min = parseUint(buf, c3 + 1, c4);
      const max = c4 < end ? parseUint(buf, c4 + 1, end) : undefined;
      if (min < 0 || (max !== undefined && max < 0)) return { ok: false, malformed: 'functionality level is not a number' };
      if (!flevelApplies(min, max)) return { ok: false, skip: 'flevel' };
    }
    const ref = this.names.encodeBytes(buf, c2 + 1, c3);
    let table = this.last?.kind === kind ? this.last : this.tables.get(kind);
    if (!table) {
      table = new HashTableBuilder(kind, Math.ceil(this.expectedBytes / LINE_BYTES[kind]));
      this.tables.set(kind, table);
    }
    this.last = table;
    table.add(digest, 0, size, ref, this.names.num);
    return OK;
  }

  build(): HashSet {
    const built = new Map<HashKind, HashTable>();
    for (const [kind, b] of this.tables) built.set(kind, b.build());
    return new HashSet([{ tables: built, names: this.names }]);
  }
}

export interface HashMatch {
  name: string;
  kind: HashKind;
}

/** Tables built together share one name table. */
export interface HashPart {
  tables: ReadonlyMap<HashKind, HashTable>;
  names: NameTable;
}

/**
 * Immutable hash signatures of one role (detection, PUA or allow-list), possibly made of
 * several parts (one per file range parsed in parallel); a lookup probes each part in order.
 */
export class HashSet {
  constructor(readonly parts: readonly HashPart[]) {}

  static merge(sets: readonly HashSet[]): HashSet {
    return new HashSet(sets.flatMap((s) => s.parts.filter((p) => p.tables.size > 0)));
  }

  get count(): number {
    let n = 0;
    for (const p of this.parts) for (const t of p.tables.values()) n += t.count;
    return n;
  }

  get bytes(): number {
    let n = 0;
    for (const p of this.parts) for (const t of p.tables.values()) n += t.bytes;
    return n;
  }

  kinds(): HashKind[] {
    const out = new Set<HashKind>();
    for (const p of this.parts) for (const k of p.tables.keys()) out.add(k);
    return [...out];
  }

  /** Hash kinds a file of `size` bytes must be hashed with (usually none). */
  kindsFor(size: number, into: Set<HashKind>): void {
    for (const p of this.parts) for (const [kind, t] of p.tables) if (t.wants(size)) into.add(kind);
  }

  lookup(kind: HashKind, digest: Buffer, size: number): HashMatch | undefined {
    for (const p of this.parts) {
      const hit = p.tables.get(kind)?.lookup(digest, size);
      if (hit) return { name: p.names.decode(hit.ref, hit.num), kind };
    }
    return undefined;
  }
}

export const EMPTY_HASH_SET = new HashSet([]);
export { DIGEST_LENGTH };

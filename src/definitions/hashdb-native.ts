// src/definitions/hashdb-native.ts — the native hash-database parser (native/core/
// patterns_hashdb.*, ~10x faster than hash-sigs.ts on 4 M lines) as a HashSet part builder.
// Same syntax, messages and table layout as the JS parser, which remains the fallback when
// the addon lacks it. Owns: typing and converting the native result. Must not: parse.
import type { NativeBinding } from '../shared/native.js';
import { HashTable, NameTable, type HashKind } from './hash-index.js';
import { HashSet } from './hash-sigs.js';
import type { HashTally } from './hash-tally.js';

export interface RawTables {
  tally: HashTally;
  prefixes: string[];
  tables: { kind: HashKind; records: Uint8Array; buckets: Uint32Array; sizes: Uint32Array; anySize: boolean }[];
}

type HashdbParse = {
  (path: string, start: number, end: number): Promise<RawTables>;
  (data: Buffer): Promise<RawTables>;
};

/** A HashSet of one part from parsed tables (native, or sent back by a worker thread). */
export function partFromRaw(r: RawTables): HashSet {
  return new HashSet([{ tables: new Map(r.tables.map((t) => [t.kind, HashTable.fromParts(t)])), names: NameTable.fromPrefixes(r.prefixes) }]);
}

/** The native parser of `native`, or null (older addon, or none injected). */
export function nativeHashdb(native: NativeBinding | null | undefined): HashdbParse | null {
  const f = native?.['hashdbParse'];
  return typeof f === 'function' ? (f as HashdbParse) : null;
}

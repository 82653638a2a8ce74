// src/definitions/definition-set.ts — one loaded, validated, immutable set of definitions:
// hash signatures (detection, PUA, allow-list), ignored names, body signatures with their
// matcher (Vectorscan database, or libyara rules in the fallback), YARA rules, and the load report.
// The built-in EICAR check applies to every set. The engine queries it; loader.ts builds it.
// Owns: answering "which detection does this evidence give". Must not: read files or scan.
import type { ThreatType } from '../engine/types.js';
import { THREAT_TYPES } from '../engine/types.js';
import type { VectorscanMatcher } from '../engine/patterns/vectorscan.js';
import type { YaraMatch, YaraRuleSet } from '../engine/yara/rules.js';
import { BODY_NAMESPACE } from './ndb-yara.js';
import { EMPTY_HASH_SET, type HashSet } from './hash-sigs.js';
import { HASH_KINDS, type HashKind } from './hash-index.js';
import type { LoadReport } from './load-report.js';
import { threatTypeFromName } from './threat-names.js';

/** Which matcher runs the body signatures: Vectorscan, or libyara in the fallback. */
export type BodyMatcherKind = 'vectorscan' | 'yara';

/** What the native batch pass needs of one hash kind (DefinitionSet.hashPlan). */
export interface HashPlanKind {
  sizes: Uint32Array[];
  any: boolean;
  tables: { records: Uint8Array; buckets: Uint32Array }[];
}

export interface Verdict {
  name: string;
  threatType: ThreatType;
  engine: 'hash' | 'body' | 'yara';
}

export interface DefinitionSetParts {
  report: LoadReport;
  hashes: HashSet;
  puaHashes: HashSet;
  allow: HashSet;
  ignored: ReadonlySet<string>;
  /** Body signature names by id (ids are the matchers' pattern ids). */
  bodyNames: readonly string[];
  bodyPua: Uint8Array;
  vectorscan?: VectorscanMatcher;
  /** The compiled YARA rules and, in fallback mode, the body signatures (libyara). */
  yara?: YaraRuleSet;
}

const BODY_RULE = /^ndb_(\d+)$/;

export class DefinitionSet {
  readonly report: LoadReport;
  readonly bodyMatcher: BodyMatcherKind;
  readonly vectorscan: VectorscanMatcher | undefined;
  readonly yara: YaraRuleSet | undefined;
  private readonly p: DefinitionSetParts;
  // Object.freeze is shallow: this holder stays mutable.
  private readonly state = { closed: false };

  constructor(parts: DefinitionSetParts) {
    this.p = parts;
    this.report = parts.report;
    this.bodyMatcher = parts.report.bodyMatcher;
    this.vectorscan = parts.vectorscan;
    this.yara = parts.yara;
    Object.freeze(this);
  }

  /**
   * Hash kinds a file of `size` bytes must be hashed with: only those for which a signature
   * (or allow-list entry) of exactly this size, or of any size (`*`), exists. Unknown size:
   * every kind any list uses.
   */
  hashKindsFor(size: number | undefined): Set<HashKind> {
    const out = new Set<HashKind>();
    for (const set of [this.p.hashes, this.p.puaHashes, this.p.allow]) {
      if (size === undefined) for (const k of set.kinds()) out.add(k);
      else set.kindsFor(size, out);
    }
    return out;
  }

  /**
   * For the native batch read pass (src/engine/batch.ts): per hash kind, the sorted size lists
   * of every table (detections, PUA, allow-list) and whether a `*` signature exists — the same
   * facts hashKindsFor answers from, so both paths hash exactly the same files — and the tables
   * themselves (hash-index.ts layout, read-only), so the pass can tell a digest that no table
   * holds (no evidence: the file needs no verdict here) from one worth a lookup.
   */
  hashPlan(): Record<HashKind, HashPlanKind> {
    const kind = (): HashPlanKind => ({ sizes: [], any: false, tables: [] });
    const out = { md5: kind(), sha1: kind(), sha256: kind() };
    for (const set of [this.p.hashes, this.p.puaHashes, this.p.allow]) {
      for (const part of set.parts) {
        for (const [kind, t] of part.tables) {
          const x = t.exportParts();
          out[kind].sizes.push(x.sizes);
          out[kind].any ||= x.anySize;
          out[kind].tables.push({ records: x.records, buckets: x.buckets });
        }
      }
    }
    return out;
  }

  /** Body signature ids are 0..bodyCount-1; a matcher id at or above it is not one. */
  get bodyCount(): number {
    return this.p.bodyNames.length;
  }

  allowListed(digests: ReadonlyMap<HashKind, Buffer>, size: number): boolean {
    for (const [kind, d] of digests) if (this.p.allow.lookup(kind, d, size)) return true;
    return false;
  }

  hashVerdict(digests: ReadonlyMap<HashKind, Buffer>, size: number): Verdict | undefined {
    for (const kind of HASH_KINDS) {
      const d = digests.get(kind);
      if (!d) continue;
      for (const [set, pua] of [[this.p.hashes, false], [this.p.puaHashes, true]] as const) {
        const hit = set.lookup(kind, d, size);
        if (hit && !this.p.ignored.has(hit.name)) {
          return { name: hit.name, threatType: pua ? 'potentially_unwanted_application' : threatTypeFromName(hit.name), engine: 'hash' };
        }
      }
    }
    return undefined;
  }

  /** The lowest matched body signature id wins (load order), whichever matcher found it. */
  bodyVerdict(ids: Iterable<number>): Verdict | undefined {
    let best = -1;
    for (const id of ids) if (id < this.p.bodyNames.length && (best < 0 || id < best)) best = id;
    if (best < 0) return undefined;
    const name = this.p.bodyNames[best]!;
    return { name, threatType: this.p.bodyPua[best] ? 'potentially_unwanted_application' : threatTypeFromName(name), engine: 'body' };
  }

  /** Splits YARA matches into body signature ids (fallback mode) and a YARA rule verdict. */
  yaraVerdicts(matches: readonly YaraMatch[]): { bodyIds: number[]; rule: Verdict | undefined } {
    const bodyIds: number[] = [];
    let rule: Verdict | undefined;
    for (const m of matches) {
      const b = m.namespace === BODY_NAMESPACE ? BODY_RULE.exec(m.rule) : null;
      if (b) bodyIds.push(Number(b[1]));
      else if (!rule && !this.p.ignored.has(m.rule)) {
        const t = m.meta?.['threat_type'];
        const threatType = typeof t === 'string' && (THREAT_TYPES as readonly string[]).includes(t) ? (t as ThreatType) : 'virus';
        rule = { name: m.rule, threatType, engine: 'yara' };
      }
    }
    return { bodyIds, rule };
  }

  /** Frees the YARA rules. Callers switch generations first; later YARA scans on this set reject. */
  async close(): Promise<void> {
    if (this.state.closed) return;
    this.state.closed = true;
    this.yara?.close();
  }
}

export function emptyReport(bodyMatcher: BodyMatcherKind, reason: string): LoadReport {
  return {
    files: [],
    formats: {},
    malformed: [],
    problems: [],
    bodyMatcher,
    bodyMatcherReason: reason,
    counts: { hashSignatures: 0, allowList: 0, bodySignatures: 0, yaraRuleFiles: 0, ignoredNames: 0, hashTableBytes: 0 },
    loadMs: 0,
  };
}

/** The set used before any definitions load: only the built-in EICAR definition. */
export function builtinDefinitionSet(bodyMatcher: BodyMatcherKind = 'vectorscan'): DefinitionSet {
  return new DefinitionSet({
    report: emptyReport(bodyMatcher, 'no definitions loaded'),
    hashes: EMPTY_HASH_SET,
    puaHashes: EMPTY_HASH_SET,
    allow: EMPTY_HASH_SET,
    ignored: new Set(),
    bodyNames: [],
    bodyPua: new Uint8Array(0),
  });
}

// src/definitions/ndb-yara.ts — translates a parsed body signature into a YARA rule with one
// hex string, for the fallback body matcher on libyara 4 (no libhs, or WDAV_BODY_MATCHER=yara).
// Offsets become `$a at n` / `$a in (a..b)` conditions on the match START (ClamAV's meaning); for
// fixed-length signatures this agrees exactly with the Hyperscan end-offset translation.
// Rules are named `ndb_<id>` (id = the signature's index in the definition set) in their own
// namespace (BODY_NAMESPACE), so a YARA rule file may use any rule name.
// libyara 4.2 has no `~` byte negation (4.3+): a negated set is written as the alternatives it
// allows, grouped by high nibble (`~41` → `( 0? | 1? | 2? | 3? | 40 | 42 | ... | 4F | 5? | ... )`).
// Owns: this translation. Must not: compile or scan.
import type { BodySig, ByteAtom, Node } from './ndb-parse.js';
import { byteSet } from './ndb-hyperscan.js';

/** The YARA namespace of translated body signatures. */
export const BODY_NAMESPACE = 'wdav_ndb';

const hex = (v: number): string => v.toString(16).toUpperCase().padStart(2, '0');
const nib = (v: number): string => v.toString(16).toUpperCase();

/** The bytes of `allowed` as hex alternatives, a whole high nibble as `H?`. */
function alternatives(allowed: Uint8Array): string {
  const out: string[] = [];
  for (let h = 0; h < 16; h++) {
    let n = 0;
    for (let l = 0; l < 16; l++) n += allowed[(h << 4) | l]!;
    if (n === 16) out.push(`${nib(h)}?`);
    else for (let l = 0; l < 16; l++) if (allowed[(h << 4) | l]) out.push(hex((h << 4) | l));
  }
  return out.length === 1 ? out[0]! : `( ${out.join(' | ')} )`;
}

function atom(a: ByteAtom): string {
  switch (a.t) {
    case 'byte':
      return hex(a.v);
    case 'any':
      return '??';
    case 'high':
      return `${nib(a.v)}?`;
    case 'low':
      return `?${nib(a.v)}`;
    case 'alt': {
      if (!a.negated) return `( ${a.branches.map((br) => br.map(atom).join(' ')).join(' | ')} )`;
      // Negations are of single bytes (the parser refuses multi-byte ones).
      const allowed = new Uint8Array(256).fill(1);
      for (const br of a.branches) {
        const s = byteSet(br[0] as Exclude<ByteAtom, { t: 'alt' }>);
        for (let b = 0; b < 256; b++) if (s[b]) allowed[b] = 0;
      }
      return alternatives(allowed);
    }
  }
}

function node(n: Node): string {
  if (n.t === 'lit') return Array.from(n.bytes, hex).join(' ');
  if (n.t !== 'jump') return atom(n);
  if (n.max === Infinity) return n.min === 0 ? '[-]' : `[${n.min}-]`;
  if (n.max === 0) return '';
  return n.min === n.max ? `[${n.min}]` : `[${n.min}-${n.max}]`;
}

export function ruleName(id: number): string {
  return `ndb_${id}`;
}

export function toYaraRule(sig: BodySig, id: number): string {
  const body = sig.nodes.map(node).filter(Boolean).join(' ');
  const o = sig.offset;
  let cond: string;
  if (o.kind === 'any') cond = '$a';
  else {
    const base = o.kind === 'abs' ? `${o.n}` : `filesize - ${o.n}`;
    cond = o.shift === 0 ? `$a at ${base}` : `$a in (${base} .. ${base} + ${o.shift})`;
  }
  return `rule ${ruleName(id)} { strings: $a = { ${body} } condition: ${cond} }`;
}

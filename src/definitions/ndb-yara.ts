// src/definitions/ndb-yara.ts — translates a parsed body signature into a YARA-X rule with one
// hex string, for the fallback body matcher (no libhs, or WDAV_BODY_MATCHER=yara). Offsets
// become `$a at n` / `$a in (a..b)` conditions on the match START (ClamAV's meaning); for
// fixed-length signatures this agrees exactly with the Hyperscan end-offset translation.
// Rule names are `ndb_<id>` (id = the signature's index in the definition set).
// Owns: this translation. Must not: compile or scan.
import type { BodySig, ByteAtom, Node } from './ndb-parse.js';
import { byteSet } from './ndb-hyperscan.js';

const hex = (v: number): string => v.toString(16).toUpperCase().padStart(2, '0');
const nib = (v: number): string => v.toString(16).toUpperCase();

/**
 * @litko/yara-x 0.3 silently never matches a hex string whose jump reaches past ~4,090 bytes
 * while spanning fewer than ~300 (measured: `{ 41 42 [5000] 43 44 }` and `[4800-5000]` miss,
 * `[4700-5000]` and `[0-40000]` match). Such signatures are refused in fallback mode.
 */
export function yaraUnsupported(sig: BodySig): string | undefined {
  let fixedRun = 0;
  for (const n of sig.nodes) {
    if (n.t === 'jump' && n.max !== Infinity && n.max > 4000 && n.max - n.min < 512) return 'yara-x: long narrow jump';
    fixedRun = n.t === 'any' ? fixedRun + 1 : n.t === 'jump' && n.max === n.min ? fixedRun + n.max : 0;
    if (fixedRun > 4000) return 'yara-x: long narrow jump';
  }
  return undefined;
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
      const only = a.branches.length === 1 ? a.branches[0]![0]! : undefined;
      if (only && only.t !== 'alt' && only.t !== 'any') return `~${atom(only)}`;
      const allowed = new Uint8Array(256).fill(1);
      for (const br of a.branches) {
        const s = byteSet(br[0] as Exclude<ByteAtom, { t: 'alt' }>);
        for (let b = 0; b < 256; b++) if (s[b]) allowed[b] = 0;
      }
      const list: string[] = [];
      for (let b = 0; b < 256; b++) if (allowed[b]) list.push(hex(b));
      return `( ${list.join(' | ')} )`;
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

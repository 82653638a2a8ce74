// src/definitions/ndb-hyperscan.ts — translates a parsed body signature into a Hyperscan
// expression: every byte escaped as \xHH (byte-exact; compiled with HS_FLAG_DOTALL so `.` is
// any byte), nibble wildcards and alternatives as classes/groups, jumps as bounded repeats.
// Offsets: `n[,shift]` become hs_expr_ext min/max END offsets (exact for fixed-length
// signatures); variable-length ones are also anchored `^.{n,n+shift}` (exact) when n+shift
// <= 32767, else only the end window [n+minLen, n+shift+maxLen] applies (may over-match);
// `EOF-n[,shift]` is checked on each match in native code with the file size (no
// SINGLEMATCH there, since the first match need not be the one at the right place).
// Owns: this translation. Must not: compile or scan (src/engine/patterns/ does).
import { MAX_JUMP, type BodySig, type ByteAtom, type Node } from './ndb-parse.js';

export const HS_FLAG_DOTALL = 2;
export const HS_FLAG_SINGLEMATCH = 8;

export interface HsExpression {
  pattern: string;
  flags: number;
  /** Bounds of the match END offset; 0 = unset. */
  minOffset: number;
  maxOffset: number;
  /** For EOF-anchored signatures: [n, shift, minLen, maxLen (-1 = unbounded)]. */
  eof?: [number, number, number, number];
}

const ESC = Array.from({ length: 256 }, (_, v) => `\\x${v.toString(16).padStart(2, '0')}`);
const hex2 = (v: number): string => ESC[v]!;

/** The 256-entry membership table of the bytes one atom position accepts. */
export function byteSet(a: Exclude<ByteAtom, { t: 'alt' }>): Uint8Array {
  const s = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    if (a.t === 'any' || (a.t === 'byte' && b === a.v) || (a.t === 'high' && b >> 4 === a.v) || (a.t === 'low' && (b & 15) === a.v)) s[b] = 1;
  }
  return s;
}

export function classOf(set: Uint8Array): string {
  let out = '';
  let count = 0;
  for (let b = 0; b < 256; ) {
    if (!set[b]) {
      b++;
      continue;
    }
    let e = b;
    while (e + 1 < 256 && set[e + 1]) e++;
    out += e === b ? hex2(b) : e === b + 1 ? hex2(b) + hex2(e) : `${hex2(b)}-${hex2(e)}`;
    count += e - b + 1;
    b = e + 1;
  }
  if (count === 256) return '.';
  return count === 1 ? out : `[${out}]`;
}

function atom(a: ByteAtom): string {
  if (a.t === 'byte') return hex2(a.v);
  if (a.t === 'any') return '.';
  if (a.t !== 'alt') return classOf(byteSet(a));
  if (a.negated) {
    const s = new Uint8Array(256).fill(1);
    for (const br of a.branches) {
      const one = byteSet(br[0] as Exclude<ByteAtom, { t: 'alt' }>);
      for (let b = 0; b < 256; b++) if (one[b]) s[b] = 0;
    }
    return classOf(s);
  }
  return `(?:${a.branches.map((br) => br.map(atom).join('')).join('|')})`;
}

function node(n: Node): string {
  if (n.t === 'lit') {
    let out = '';
    for (const b of n.bytes) out += ESC[b];
    return out;
  }
  if (n.t !== 'jump') return atom(n);
  if (n.max === Infinity) return n.min === 0 ? '.*' : `.{${n.min},}`;
  if (n.max === 0) return '';
  return n.min === n.max ? `.{${n.min}}` : `.{${n.min},${n.max}}`;
}

export function toHyperscan(sig: BodySig): HsExpression {
  const pattern = sig.nodes.map(node).join('');
  const fixed = sig.maxLen !== Infinity;
  const o = sig.offset;
  if (o.kind === 'eof') {
    return { pattern, flags: HS_FLAG_DOTALL, minOffset: 0, maxOffset: 0, eof: [o.n, o.shift, sig.minLen, fixed ? sig.maxLen : -1] };
  }
  const flags = HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH;
  if (o.kind === 'any') return { pattern, flags, minOffset: 0, maxOffset: 0 };
  const minOffset = o.n + sig.minLen;
  const maxOffset = fixed ? o.n + o.shift + sig.maxLen : 0;
  if (sig.minLen === sig.maxLen) return { pattern, flags, minOffset, maxOffset };
  // Variable length: the end window alone could accept a match starting elsewhere; anchoring
  // the start makes it exact while the repeat stays within Hyperscan's bound.
  if (o.n + o.shift <= MAX_JUMP) {
    const lead = o.n + o.shift === 0 ? '' : o.shift === 0 ? `.{${o.n}}` : `.{${o.n},${o.n + o.shift}}`;
    return { pattern: `^${lead}(?:${pattern})`, flags, minOffset, maxOffset };
  }
  return { pattern, flags, minOffset, maxOffset };
}

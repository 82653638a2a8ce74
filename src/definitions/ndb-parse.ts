// src/definitions/ndb-parse.ts — ClamAV extended body signatures (.ndb .ndu):
// `Name:Target:Offset:HexSig[:MinFL[:MaxFL]]` parsed into a small AST shared by the two
// translators (ndb-hyperscan.ts, ndb-yara.ts), so both matchers see the same signature.
// Supported: hex bytes, `??`, `a?`, `?a`, `*`, `{n}`, `{-n}`, `{n-}`, `{n-m}`, `[n-m]`,
// `(aa|bbcc|d?)` alternatives, `!(aa|bb)` negated single-byte alternatives; targets 0 (any)
// and 7 (ASCII text — matched on raw bytes, without ClamAV's text normalisation); offsets `*`,
// `n`, `n,maxshift`, `EOF-n`, `EOF-n,maxshift`. Anything else is a counted skip, never a throw.
// Owns: syntax and validation. Must not: emit matcher syntax.
import { ENGINE_FLEVEL, flevelApplies } from './hash-sigs.js';

/** One byte position: the set of byte values it accepts is what matchers need. */
export type ByteAtom =
  | { t: 'byte'; v: number }
  | { t: 'any' }
  | { t: 'high'; v: number } // `a?`: high nibble fixed
  | { t: 'low'; v: number } // `?a`: low nibble fixed
  | { t: 'alt'; branches: ByteAtom[][]; negated: boolean };

/** A run of literal bytes is one node (a signature is mostly such runs). */
export type Node = ByteAtom | { t: 'lit'; bytes: Uint8Array } | { t: 'jump'; min: number; max: number }; // max Infinity = unbounded

export type Offset =
  | { kind: 'any' }
  | { kind: 'abs'; n: number; shift: number }
  | { kind: 'eof'; n: number; shift: number };

export interface BodySig {
  name: string;
  target: number;
  offset: Offset;
  nodes: Node[];
  minLen: number;
  maxLen: number; // Infinity when a `*` or `{n-}` jump occurs
}

export type NdbOutcome = { ok: true; sig: BodySig } | { ok: false; skip: string } | { ok: false; malformed: string };

/** Hyperscan refuses larger bounded repeats ("Bounded repeat is too large"). */
export const MAX_JUMP = 32767;

class Unsupported extends Error {}
class Malformed extends Error {}

const HEX_DIGIT = /[0-9a-fA-F]/;
const isHex = (c: string | undefined): boolean => c !== undefined && c.length === 1 && HEX_DIGIT.test(c);
const HEX_RUN = /[0-9a-fA-F]+/y;

function parseNumber(s: string, what: string): number {
  if (!/^\d{1,15}$/.test(s)) throw new Malformed(`${what} is not a number`);
  return Number(s);
}

export function parseOffset(s: string): Offset {
  if (s === '*') return { kind: 'any' };
  const m = /^(EOF-)?(\d{1,15})(?:,(\d{1,15}))?$/.exec(s);
  if (!m) {
    if (/^(EP|S\d+|SL|SE\d+|VI|\$)/.test(s) || /^EOF\+/.test(s)) throw new Unsupported('offset');
    throw new Malformed(`bad offset '${s}'`);
  }
  return { kind: m[1] ? 'eof' : 'abs', n: Number(m[2]), shift: m[3] ? Number(m[3]) : 0 };
}

function atomAt(hex: string, i: number): ByteAtom {
  const a = hex[i];
  const b = hex[i + 1];
  if (a === '?' && b === '?') return { t: 'any' };
  if (a === '?' && isHex(b)) return { t: 'low', v: parseInt(b!, 16) };
  if (isHex(a) && b === '?') return { t: 'high', v: parseInt(a!, 16) };
  if (isHex(a) && isHex(b)) return { t: 'byte', v: parseInt(a! + b!, 16) };
  throw new Malformed(`bad hex at ${i}`);
}

function parseAlternatives(hex: string, i: number, negated: boolean): [ByteAtom, number] {
  const close = hex.indexOf(')', i);
  if (close < 0) throw new Malformed('unclosed (');
  const body = hex.slice(i + 1, close);
  if (body === 'B' || body === 'L' || body === 'W') throw new Unsupported('boundary marker');
  const branches = body.split('|').map((br) => {
    if (/[{}*[\]()!]/.test(br)) throw new Unsupported('jump or group inside alternative');
    if (br.length === 0 || br.length % 2 !== 0) throw new Malformed('bad alternative');
    const atoms: ByteAtom[] = [];
    for (let k = 0; k < br.length; k += 2) atoms.push(atomAt(br, k));
    return atoms;
  });
  if (branches.length < 2 && !negated) throw new Malformed('alternative needs at least two branches');
  if (negated && branches.some((b) => b.length !== 1)) throw new Unsupported('negated multi-byte alternative');
  return [{ t: 'alt', branches, negated }, close + 1];
}

function parseJump(spec: string): { min: number; max: number } {
  let m: RegExpExecArray | null;
  let min: number;
  let max: number;
  if ((m = /^(\d+)$/.exec(spec))) min = max = Number(m[1]);
  else if ((m = /^-(\d+)$/.exec(spec))) [min, max] = [0, Number(m[1])];
  else if ((m = /^(\d+)-$/.exec(spec))) [min, max] = [Number(m[1]), Infinity];
  else if ((m = /^(\d+)-(\d+)$/.exec(spec))) [min, max] = [Number(m[1]), Number(m[2])];
  else throw new Malformed(`bad jump {${spec}}`);
  if (min > max) throw new Malformed(`bad jump {${spec}}`);
  if (min > MAX_JUMP || (max !== Infinity && max > MAX_JUMP)) throw new Unsupported('jump above 32767');
  return { min, max };
}

export function parseHex(hex: string): Node[] {
  const nodes: Node[] = [];
  const pushJump = (min: number, max: number): void => {
    const last = nodes[nodes.length - 1];
    if (last?.t === 'jump') {
      last.min += min;
      last.max += max;
      if (last.min > MAX_JUMP || (last.max !== Infinity && last.max > MAX_JUMP)) throw new Unsupported('jump above 32767');
    } else nodes.push({ t: 'jump', min, max });
  };
  let i = 0;
  while (i < hex.length) {
    const c = hex[i]!;
    if (c === '*') {
      pushJump(0, Infinity);
      i++;
    } else if (c === '{' || c === '[') {
      const close = hex.indexOf(c === '{' ? '}' : ']', i);
      if (close < 0) throw new Malformed(`unclosed ${c}`);
      const j = parseJump(hex.slice(i + 1, close));
      pushJump(j.min, j.max);
      i = close + 1;
    } else if (c === '(') {
      const [atom, next] = parseAlternatives(hex, i, false);
      nodes.push(atom);
      i = next;
    } else if (c === '!' && hex[i + 1] === '(') {
      const [atom, next] = parseAlternatives(hex, i + 1, true);
      nodes.push(atom);
      i = next;
    } else {
      // A run of whole hex bytes becomes one literal; an odd last digit belongs to the next
      // atom (`4?`) or is malformed, which atomAt reports.
      HEX_RUN.lastIndex = i;
      const run = (HEX_RUN.exec(hex)?.[0].length ?? 0) & ~1;
      if (run >= 2) {
        nodes.push({ t: 'lit', bytes: Buffer.from(hex.slice(i, i + run), 'hex') });
        i += run;
      } else {
        nodes.push(atomAt(hex, i));
        i += 2;
      }
    }
  }
  if (nodes.length === 0) throw new Malformed('empty hex signature');
  if (nodes[0]!.t === 'jump' || nodes[nodes.length - 1]!.t === 'jump') throw new Unsupported('leading or trailing jump');
  let run = 0;
  let best = 0;
  for (const n of nodes) {
    run = n.t === 'lit' ? run + n.bytes.length : 0;
    best = Math.max(best, run);
  }
  // Without two fixed bytes in a row a signature matches nearly everything (ClamAV also
  // requires static bytes); refuse it rather than flag every file.
  if (best < 2) throw new Unsupported('fewer than two consecutive fixed bytes');
  return nodes;
}

export function atomLengths(a: ByteAtom): [number, number] {
  if (a.t !== 'alt') return [1, 1];
  const lens = a.branches.map((b) => b.length);
  return [Math.min(...lens), Math.max(...lens)];
}

export function nodeLengths(nodes: Node[]): [number, number] {
  let min = 0;
  let max = 0;
  for (const n of nodes) {
    const [a, b] = n.t === 'jump' ? [n.min, n.max] : n.t === 'lit' ? [n.bytes.length, n.bytes.length] : atomLengths(n);
    min += a;
    max += b;
  }
  return [min, max];
}

/** Parses one .ndb/.ndu line (already without its line ending). */
export function parseNdbLine(line: string): NdbOutcome {
  const f = line.split(':');
  if (f.length < 4) return { ok: false, malformed: 'expected Name:Target:Offset:HexSig' };
  if (f.length > 6) return { ok: false, malformed: 'too many fields' };
  const [name, target, offset, hex, minfl, maxfl] = f as [string, string, string, string, string?, string?];
  try {
    if (!name) throw new Malformed('empty signature name');
    const t = parseNumber(target, 'target');
    const min = minfl ? parseNumber(minfl, 'MinFL') : undefined;
    const max = maxfl ? parseNumber(maxfl, 'MaxFL') : undefined;
    if (!flevelApplies(min, max)) return { ok: false, skip: 'flevel' };
    if (t !== 0 && t !== 7) return { ok: false, skip: `target ${t}` };
    const off = parseOffset(offset);
    const nodes = parseHex(hex.trim());
    const [minLen, maxLen] = nodeLengths(nodes);
    return { ok: true, sig: { name, target: t, offset: off, nodes, minLen, maxLen } };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, skip: e.message };
    if (e instanceof Malformed) return { ok: false, malformed: e.message };
    throw e;
  }
}

export { ENGINE_FLEVEL };

// Differential test: random body signatures (every supported construct and offset kind) and
// files planted with random instances of them plus near-miss noise give the same detections
// with Vectorscan and with the libyara fallback (forced with WDAV_BODY_MATCHER=yara).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { parseNdbLine, type BodySig, type ByteAtom, type Node } from '../../src/definitions/ndb-parse.js';
import { createEngine } from '../../src/engine/engine.js';
import { CTX, defsDir, loadSet, outcome, tmpDir } from '../helpers/engine-fixtures.js';

let seed = 12345;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const ALPHA = [0x41, 0x42, 0x43, 0x44, 0x45, 0x46];
const lit = (): number => ALPHA[rnd(ALPHA.length)]!;
const h2 = (b: number): string => b.toString(16).padStart(2, '0');

function atomText(fixedOnly: boolean): string {
  switch (rnd(fixedOnly ? 5 : 6)) {
    case 0:
      return '??';
    case 1:
      return `${h2(lit())[0]}?`;
    case 2:
      return `?${h2(lit())[1]}`;
    case 3:
      return `!(${h2(lit())}|${h2(lit())})`;
    case 4: {
      const len = fixedOnly ? 1 + rnd(2) : 0;
      const br = (): string => Array.from({ length: len || 1 + rnd(2) }, () => (rnd(4) ? h2(lit()) : '??')).join('');
      return `(${br()}|${br()}${rnd(2) ? `|${br()}` : ''})`;
    }
    default:
      return ['*', `{${rnd(4)}}`, `{${rnd(3)}-${3 + rnd(5)}}`, `{-${1 + rnd(4)}}`, `{${rnd(4)}-}`][rnd(5)]!;
  }
}

function randomSigLine(i: number): string {
  const offsetKind = rnd(4);
  const fixed = offsetKind === 3;
  let hex = `${h2(lit())}${h2(lit())}`;
  for (let k = 0, n = 1 + rnd(4); k < n; k++) hex += atomText(fixed) + h2(lit());
  hex += h2(lit());
  const offset = offsetKind === 0 || offsetKind === 1 ? '*' : offsetKind === 2 ? `${rnd(40)}${rnd(2) ? `,${rnd(20)}` : ''}` : `EOF-${30 + rnd(30)}${rnd(2) ? `,${rnd(10)}` : ''}`;
  return `Rand.Sig-${i}-0:0:${offset}:${hex}`;
}

function instantiateAtom(a: ByteAtom): number[] {
  switch (a.t) {
    case 'byte':
      return [a.v];
    case 'any':
      return [lit()];
    case 'high':
      return [(a.v << 4) | rnd(16)];
    case 'low':
      return [(rnd(16) << 4) | a.v];
    case 'alt': {
      if (a.negated) {
        const banned = new Set(a.branches.map((b) => (b[0] as { v: number }).v));
        const ok = ALPHA.filter((x) => !banned.has(x));
        return [ok[rnd(ok.length)] ?? 0x5a];
      }
      return a.branches[rnd(a.branches.length)]!.flatMap(instantiateAtom);
    }
  }
}

function instantiate(nodes: Node[]): number[] {
  return nodes.flatMap((n) => (n.t === 'lit' ? [...n.bytes] : n.t === 'jump' ? Array.from({ length: n.min + rnd(Math.min(n.max, n.min + 6) - n.min + 1) }, lit) : instantiateAtom(n)));
}

function plant(sig: BodySig, size: number): Buffer {
  const data = Buffer.from(Array.from({ length: size }, lit));
  const inst = Buffer.from(instantiate(sig.nodes));
  const o = sig.offset;
  const at = o.kind === 'any' ? rnd(size - inst.length) : o.kind === 'abs' ? o.n + rnd(o.shift + 1) : size - o.n + rnd(o.shift + 1);
  inst.copy(data, Math.max(0, Math.min(at, size - inst.length)));
  return data;
}

t.test('vectorscan and libyara agree on random signatures and files', async (t) => {
  const lines = Array.from({ length: 150 }, (_, i) => randomSigLine(i));
  const parsed = lines.map((l) => parseNdbLine(l));
  const sigs = parsed.flatMap((p) => (p.ok ? [p.sig] : []));
  t.ok(sigs.length > 120, `${sigs.length} of 150 random signatures supported`);
  const defs = defsDir(t, { 'r.ndb': lines.join('\n') });
  const vs = await loadSet(t, [defs]);
  const yx = await loadSet(t, [defs], { env: { WDAV_BODY_MATCHER: 'yara' } });
  t.equal(vs.bodyMatcher, 'vectorscan');
  t.equal(yx.bodyMatcher, 'yara');
  t.equal(yx.report.bodyMatcherReason, 'forced by WDAV_BODY_MATCHER');
  const a = createEngine({ definitions: vs });
  const b = createEngine({ definitions: yx });
  const dir = tmpDir(t);
  let differ = 0;
  let matches = 0;
  const distinct = new Set<number>();
  for (let k = 0; k < 300; k++) {
    const sig = sigs[k % sigs.length]!;
    const data = k % 3 === 2 ? Buffer.from(Array.from({ length: 200 + rnd(3000) }, lit)) : plant(sig, 120 + rnd(4000));
    // Every matching signature, not only the reported one.
    const s = vs.vectorscan!.open(data.length);
    await s.scan(data);
    const idsA = [...s.close(data.length)];
    const y = await yx.yara!.scan(data, { limitMs: 10_000, realTime: false });
    if (y.status !== 'ok') throw new Error(`libyara scan: ${y.status}`);
    const idsB = yx.yaraVerdicts(y.matches).bodyIds.sort((x, y) => x - y);
    matches += idsA.length;
    idsA.forEach((id) => distinct.add(id));
    if (idsA.join() !== idsB.join()) {
      differ++;
      t.comment(`f${k}: vectorscan [${idsA.join()}] libyara [${idsB.join()}]`);
    }
    const file = path.join(dir, `f${k}`);
    fs.writeFileSync(file, data);
    const [ra, rb] = [outcome(await a.scan({ path: file }, CTX)), outcome(await b.scan({ path: file }, CTX))];
    if (ra !== rb) differ++;
  }
  t.equal(differ, 0, 'identical matches and detections');
  t.ok(distinct.size > 100, `${matches} signature matches over 300 files, ${distinct.size} distinct signatures`);
});

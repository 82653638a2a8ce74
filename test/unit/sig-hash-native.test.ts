// The native hash-database parser and the JS one (the fallback) agree: same counts, same
// malformed lines and messages, same detections and names — on awkward input too.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { loadNative } from '../../src/shared/native.js';
import { nativeHashdb } from '../../src/definitions/hashdb-native.js';
import type { HashKind } from '../../src/definitions/hash-index.js';
import { loadSet, tmpDir } from '../helpers/engine-fixtures.js';

const digest = (alg: string, s: string): string => createHash(alg).update(s).digest('hex');

t.test('native and JS parsers give the same set', { skip: nativeHashdb(loadNative()) ? false : 'addon without hashdbParse' }, async (t) => {
  const lines: string[] = [];
  const probes: { content: string; kind: HashKind }[] = [];
  const names = ['Win.Trojan.Agent-6340573-0', 'Eicar-Test-Signature', 'X-0123-0', 'Y-429496729-5', 'Z-999999999-9', 'Odd -12-3', 'A-1-12', 'Ünïcode.Name-7-0', 'n'];
  for (let i = 0; i < 3000; i++) {
    const content = `content-${i}`;
    const alg = (['md5', 'sha1', 'sha256'] as const)[i % 3];
    const size = i % 17 === 0 ? '*' : String(content.length);
    const extra = i % 23 === 0 ? ':73' : i % 29 === 0 ? ':300' : i % 31 === 0 ? ':10:20' : '';
    lines.push(`${digest(alg, content)}:${size}:${names[i % names.length]}${i % 5 === 0 ? `.${i}` : ''}${extra}${i % 11 === 0 ? '  \t' : ''}${i % 7 === 0 ? '\r' : ''}`);
    if (!extra.includes('300') && !extra.includes('10:20')) probes.push({ content, kind: alg });
  }
  lines.splice(100, 0, '# a comment', '', 'garbage', `${digest('md5', 'x')}:12x:Bad`, `${digest('md5', 'x')}:`, `${digest('md5', 'x')}:5:`, `${digest('md5', 'x')}:*x:Bad`);
  lines.splice(2000, 0, `${digest('md5', 'y').slice(0, 31)}z:3:Bad`, `${digest('md5', 'y')}:99999999999:Big`, `${digest('md5', 'y')}:1:N:x`, `${'a'.repeat(2 << 20)}`, `${digest('sha1', 'y')}:3:Name:1:2:3`);
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'a.hsb'), lines.join('\n'));
  const native = await loadSet(t, [dir]);
  const js = await loadSet(t, [dir], { native: null });
  const strip = (f: { loaded: number; skipped: number; malformed: number; skipReasons: Record<string, number>; errors: string[] }) => ({ ...f });
  t.same(strip(native.report.files[0]!), strip(js.report.files[0]!), 'same counts and messages');
  t.ok(native.report.files[0]!.malformed >= 10);
  t.equal(native.report.counts.hashSignatures, js.report.counts.hashSignatures);
  let differ = 0;
  for (const p of probes) {
    const d = createHash(p.kind).update(p.content).digest();
    const a = native.hashVerdict(new Map([[p.kind, d]]), p.content.length)?.name;
    const b = js.hashVerdict(new Map([[p.kind, d]]), p.content.length)?.name;
    if (a !== b || !a) {
      differ++;
      t.comment(`${p.content} ${p.kind}: native ${a}, js ${b}`);
    }
  }
  t.equal(differ, 0, `${probes.length} signatures found with the same names`);
  t.same([...native.hashKindsFor(9)].sort(), [...js.hashKindsFor(9)].sort());
});

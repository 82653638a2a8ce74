// The compiled Vectorscan database is cached next to the definitions: a second load of the
// same signatures deserializes it (much faster than compiling), a change misses the cache, and
// a corrupt or unwritable cache never breaks loading.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createEngine } from '../../src/engine/engine.js';
import { defsDir, loadSet, outcome, scanData, tmpDir } from '../helpers/engine-fixtures.js';

function sigs(n: number, seed: Buffer): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = seed.toString('hex', 0, 4) + i.toString(16).padStart(8, '0');
    lines.push(`Bench.Sig-${i}-0:0:*:${a}{0-16}${randomBytes(4).toString('hex')}*${randomBytes(3).toString('hex')}`);
  }
  lines.push(`Probe.Sig-1-0:0:*:${Buffer.from('CACHE-PROBE').toString('hex')}`);
  return lines.join('\n');
}

t.test('second load uses the cached database', async (t) => {
  const cacheDir = path.join(tmpDir(t), 'cache');
  const defs = defsDir(t, { 'a.ndb': sigs(2000, randomBytes(4)) });
  const first = await loadSet(t, [defs], { cacheDir });
  const second = await loadSet(t, [defs], { cacheDir });
  const a = first.report.patternDb!;
  const b = second.report.patternDb!;
  t.equal(a.cached, false);
  t.equal(b.cached, true);
  t.ok(fs.existsSync(a.cacheFile!), 'cache file written');
  t.ok(b.ms < a.ms / 3, `cached load ${b.ms.toFixed(1)} ms vs compile ${a.ms.toFixed(1)} ms`);
  t.comment(`2,001 patterns: compile ${a.ms.toFixed(1)} ms, cached load ${b.ms.toFixed(1)} ms, ${a.bytes} bytes`);
  t.equal(outcome(await scanData(t, createEngine({ definitions: second }), 'x CACHE-PROBE x')), 'Probe.Sig-1-0');

  const changed = defsDir(t, { 'a.ndb': sigs(2000, randomBytes(4)) });
  t.equal((await loadSet(t, [changed], { cacheDir })).report.patternDb!.cached, false, 'different patterns miss the cache');
});

t.test('a corrupt cache file is recompiled and replaced', async (t) => {
  const cacheDir = path.join(tmpDir(t), 'cache');
  const defs = defsDir(t, { 'a.ndb': sigs(50, randomBytes(4)) });
  const first = await loadSet(t, [defs], { cacheDir });
  const file = first.report.patternDb!.cacheFile!;
  const buf = fs.readFileSync(file);
  buf.fill(0x41, buf.length - 200);
  fs.writeFileSync(file, buf);
  const second = await loadSet(t, [defs], { cacheDir });
  t.equal(second.report.patternDb!.cached, false);
  t.equal((await loadSet(t, [defs], { cacheDir })).report.patternDb!.cached, true, 'rewritten');
  t.equal(outcome(await scanData(t, createEngine({ definitions: second }), 'CACHE-PROBE')), 'Probe.Sig-1-0');
});

t.test('an unwritable cache location is reported, loading still works', async (t) => {
  const notDir = path.join(tmpDir(t), 'file');
  fs.writeFileSync(notDir, 'x');
  const set = await loadSet(t, [defsDir(t, { 'a.ndb': sigs(5, randomBytes(4)) })], { cacheDir: notDir });
  t.match(set.report.problems.join('\n'), /pattern cache: (cannot write|not used: .* not a directory)/);
  t.equal(outcome(await scanData(t, createEngine({ definitions: set }), 'CACHE-PROBE')), 'Probe.Sig-1-0');
});

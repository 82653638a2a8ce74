// Files that vanish between listing and opening are counted (not fatal), and unreadable
// files and directories (EACCES, as a non-root user) are counted with their path.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/shared/native.js';
import { ScanWalker } from '../../src/scan/walker.js';
import { tmpDir } from '../helpers/scan-walk.js';

const isRoot = process.getuid?.() === 0;

t.test('files and a directory vanish while the walk runs', async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'gone-dir'));
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, `f${i}`), 'x');
  // Filter mode lists candidates before opening them: remove some in between.
  const walker = new ScanWalker(loadNative(), { roots: [root], exclusions: [{ kind: 'extension', extension: '.none', scope: 'epp' }] });
  const seen: string[] = [];
  let removed = false;
  const orig = walker['absorb'].bind(walker);
  walker['absorb'] = (b: Parameters<typeof orig>[0]) => {
    orig(b);
    if (!removed && b.candidateKinds.length > 0) {
      removed = true;
      for (let i = 0; i < 5; i++) fs.rmSync(path.join(root, `f${i}`));
      fs.rmdirSync(path.join(root, 'gone-dir'));
    }
  };
  for (;;) {
    const b = await walker.next();
    if (!b) break;
    for (let i = 0; i < b.length; i++) {
      seen.push(b.path(i));
      fs.closeSync(b.fds[i]!);
    }
  }
  t.equal(seen.length, 5);
  t.equal(walker.counts.vanished, 6, 'five files and the directory');
  t.ok(walker.events.some((e) => e.code === 'ENOENT' && e.path === path.join(root, 'gone-dir')));
});

t.test('EACCES as a non-root user', { skip: isRoot ? false : 'needs root to run the walk as another user' }, async (t) => {
  const root = tmpDir(t);
  fs.chmodSync(root, 0o755);
  fs.writeFileSync(path.join(root, 'readable'), 'x', { mode: 0o644 });
  fs.writeFileSync(path.join(root, 'secret'), 'x', { mode: 0o600 });
  fs.mkdirSync(path.join(root, 'closed'), { mode: 0o700 });
  fs.writeFileSync(path.join(root, 'closed', 'inner'), 'x');
  // The compiled walker (dist/, run `npx tsc -p tsconfig.json` first) in a child as nobody.
  const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
  const code = `
    const { ScanWalker } = await import(${JSON.stringify(path.join(dist, 'scan', 'walker.js'))});
    const { loadNative } = await import(${JSON.stringify(path.join(dist, 'shared', 'native.js'))});
    const fs = await import('node:fs');
    const w = new ScanWalker(loadNative(), { roots: [process.argv[1]], exclusions: null });
    const paths = [];
    for (let b; (b = await w.next()); ) for (let i = 0; i < b.length; i++) { paths.push(b.path(i)); fs.closeSync(b.fds[i]); }
    process.stdout.write(JSON.stringify({ paths, counts: w.counts, events: w.events }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, root], { uid: 65534, gid: 65534, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (r.status !== 0) t.comment(r.stderr);
  t.equal(r.status, 0, 'the walk as nobody ran');
  const out = JSON.parse(r.stdout) as { paths: string[]; counts: Record<string, number>; events: { path: string; code: string }[] };
  t.same(out.paths, [path.join(root, 'readable')]);
  t.equal(out.counts.denied, 2, 'the file and the directory');
  t.same(out.events.map((e) => e.code).sort(), ['EACCES', 'EACCES']);
});

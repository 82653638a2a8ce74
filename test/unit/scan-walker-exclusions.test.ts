// The walker applies exclusions with the shared matcher (MDE's rules): an excluded directory
// is pruned (never entered), excluded files are never opened, extensions and wildcards match;
// without exclusions (--ignore-exclusions: null) everything is walked. Process exclusions do
// not apply to on-demand scans.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { Exclusion } from '../../src/config/settings.js';
import { tmpDir, walkAll } from '../helpers/scan-walk.js';

function tree(t: Parameters<typeof tmpDir>[0]): string {
  const root = tmpDir(t);
  for (const p of ['keep/a.txt', 'keep/b.log', 'skipdir/inner/c.txt', 'skipdir/d.txt', 'wild/x1/e.txt', 'wild/y1/f.txt', 'one.txt']) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), p);
  }
  return root;
}

t.test('folder, file, extension and wildcard exclusions', async (t) => {
  const root = tree(t);
  const ex: Exclusion[] = [
    { kind: 'path', path: path.join(root, 'skipdir'), isDirectory: true, scope: 'epp' },
    { kind: 'path', path: path.join(root, 'one.txt'), isDirectory: false, scope: 'epp' },
    { kind: 'extension', extension: '.log', scope: 'epp' },
    { kind: 'path', path: path.join(root, 'wild', 'x?') + '/', isDirectory: true, scope: 'epp' },
    { kind: 'process', name: 'cat', scope: 'epp' },
  ];
  const w = await walkAll({ roots: [root], exclusions: ex, batch: 2 });
  t.same([...w.paths].sort(), [path.join(root, 'keep', 'a.txt'), path.join(root, 'wild', 'y1', 'f.txt')]);
  // skipdir and wild/x1 pruned (2 dirs), one.txt and b.log not opened (2 files)
  t.equal(w.walker.counts.excluded, 4);
  t.equal(w.walker.counts.dirs, 4, 'root, keep, wild, wild/y1: never skipdir, skipdir/inner or wild/x1');
});

t.test('an excluded root is not walked at all', async (t) => {
  const root = tree(t);
  const w = await walkAll({ roots: [path.join(root, 'skipdir'), path.join(root, 'keep')], exclusions: [{ kind: 'path', path: path.join(root, 'skipdir'), isDirectory: true, scope: 'epp' }] });
  t.same([...w.paths].sort(), [path.join(root, 'keep', 'a.txt'), path.join(root, 'keep', 'b.log')]);
  t.equal(w.walker.counts.excluded, 1);
});

t.test('ignoring exclusions walks everything; process-only exclusions filter nothing', async (t) => {
  const root = tree(t);
  const all = await walkAll({ roots: [root], exclusions: null });
  t.equal(all.paths.length, 7);
  const proc = await walkAll({ roots: [root], exclusions: [{ kind: 'process', name: '/usr/bin/cat', scope: 'global' }] });
  t.equal(proc.paths.length, 7);
  t.equal(proc.walker.counts.excluded, 0);
});

// The walker finds every regular file of a nested tree exactly once, opened, with its size;
// several roots (and a root given twice, or nested in another) do not scan a directory twice.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir, walkAll, openFdCount } from '../helpers/scan-walk.js';

t.test('nested tree, batches smaller than a directory, no fd leak', async (t) => {
  const root = tmpDir(t);
  const expected: string[] = [];
  for (let d = 0; d < 5; d++) {
    let dir = path.join(root, `d${d}`);
    for (let depth = 0; depth < 4; depth++) {
      fs.mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 7; f++) {
        const p = path.join(dir, `f${f}.txt`);
        fs.writeFileSync(p, 'x'.repeat(f * 10));
        expected.push(p);
      }
      dir = path.join(dir, `sub${depth}`);
    }
  }
  fs.mkdirSync(path.join(root, 'empty'));
  const before = openFdCount();
  const w = await walkAll({ roots: [root], batch: 5 });
  t.same([...w.paths].sort(), [...expected].sort(), 'every file once');
  t.equal(w.walker.counts.files, expected.length);
  t.equal(w.walker.counts.dirs, 1 + 5 * 4 + 1, 'root, nested dirs and the empty one entered');
  const i = w.paths.indexOf(path.join(root, 'd0', 'f3.txt'));
  t.equal(w.sizes[i], 30, 'size from fstat');
  t.equal(openFdCount(), before, 'no fd left open');
});

t.test('overlapping roots, a link to a root and a file root: each file once', async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  fs.writeFileSync(path.join(root, 'a', 'b', 'x'), 'x');
  fs.writeFileSync(path.join(root, 'top'), 'y');
  fs.symlinkSync(path.join(root, 'a'), path.join(root, 'link-to-a'));
  const w = await walkAll({ roots: [path.join(root, 'a'), root, root + '/', path.join(root, 'top'), path.join(root, 'link-to-a')] });
  t.same([...w.paths].sort(), [path.join(root, 'a', 'b', 'x'), path.join(root, 'top')]);
  t.equal(w.walker.counts.loops, 0);
});

t.test('a root that does not exist is counted, not fatal', async (t) => {
  const root = tmpDir(t);
  fs.writeFileSync(path.join(root, 'ok'), 'x');
  const w = await walkAll({ roots: [path.join(root, 'missing'), root] });
  t.same(w.paths, [path.join(root, 'ok')]);
  t.equal(w.walker.counts.vanished, 1);
  t.same(w.walker.events, [{ path: path.join(root, 'missing'), code: 'ENOENT' }]);
});

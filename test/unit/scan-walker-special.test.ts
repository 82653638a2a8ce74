// The walker never follows symbolic links below a root (no loop through a link to an
// ancestor), and never opens FIFOs, sockets or devices: a FIFO without a writer does not hang
// the walk; they are counted as special files.
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { tmpDir, walkAll } from '../helpers/scan-walk.js';

const isRoot = process.getuid?.() === 0;

t.test('symlinks, a symlink loop, a FIFO, a socket and a device node', async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'dir', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dir', 'deep', 'real.txt'), 'real');
  fs.symlinkSync(path.join(root, 'dir', 'deep', 'real.txt'), path.join(root, 'link-to-file'));
  fs.symlinkSync(root, path.join(root, 'dir', 'deep', 'up')); // to an ancestor
  fs.symlinkSync('loop-b', path.join(root, 'loop-a'));
  fs.symlinkSync('loop-a', path.join(root, 'loop-b'));
  execFileSync('mkfifo', [path.join(root, 'dir', 'fifo')]);
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(path.join(root, 'sock'), r));
  t.teardown(() => server.close());
  if (isRoot) execFileSync('mknod', [path.join(root, 'zero'), 'c', '1', '5']);

  const started = Date.now();
  const w = await walkAll({ roots: [root] });
  t.ok(Date.now() - started < 5000, 'finished without waiting on the FIFO');
  t.same(w.paths, [path.join(root, 'dir', 'deep', 'real.txt')], 'only the regular file, once');
  t.equal(w.walker.counts.symlinks, 4, 'four links seen, none followed');
  t.equal(w.walker.counts.special, isRoot ? 3 : 2, 'FIFO, socket (and device) never opened');
  t.equal(w.walker.counts.loops, 0, 'no loop ever entered');
});

t.test('a root given as a symbolic link is followed (like find -H)', async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'target'));
  fs.writeFileSync(path.join(root, 'target', 'f'), 'x');
  fs.symlinkSync(path.join(root, 'target'), path.join(root, 'alias'));
  const w = await walkAll({ roots: [path.join(root, 'alias')] });
  t.same(w.paths, [path.join(root, 'alias', 'f')]);
});

t.test('a bind mount of an ancestor (a real directory loop) is entered once', { skip: isRoot ? false : 'needs root to bind-mount' }, async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'a', 'loop'), { recursive: true });
  fs.writeFileSync(path.join(root, 'a', 'file'), 'x');
  execFileSync('mount', ['--bind', root, path.join(root, 'a', 'loop')]);
  t.teardown(() => execFileSync('umount', ['-l', path.join(root, 'a', 'loop')]));
  const w = await walkAll({ roots: [root] });
  t.same(w.paths, [path.join(root, 'a', 'file')]);
  t.equal(w.walker.counts.loops, 1);
  t.same(w.walker.events, [{ path: path.join(root, 'a', 'loop'), code: 'LOOP' }]);
});

t.test('a proc mount inside the tree is never entered', { skip: isRoot ? false : 'needs root to mount proc' }, async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'proc'));
  fs.writeFileSync(path.join(root, 'f'), 'x');
  execFileSync('mount', ['-t', 'proc', 'proc', path.join(root, 'proc')]);
  t.teardown(() => execFileSync('umount', ['-l', path.join(root, 'proc')]));
  // No device list given: the statfs magic check alone refuses it.
  const w = await walkAll({ roots: [root] });
  t.same(w.paths, [path.join(root, 'f')]);
  t.equal(w.walker.counts.mountsSkipped, 1);
});

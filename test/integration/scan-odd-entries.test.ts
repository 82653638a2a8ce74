// A daemon scan over a tree with a FIFO (no writer: the scan must not hang), a socket, a
// symlink loop and a link to an ancestor, names that are not valid UTF-8 and a path longer
// than PATH_MAX: it finishes, never follows the links, and reports the detections inside the
// odd names escaped as \xHH (the threat record keeps the exact bytes).
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';
import { eicar, scanJson, writeTree } from '../helpers/scan-daemon.js';

t.test('FIFO, socket, symlink loop, invalid UTF-8, long path', async (t) => {
  const d = await TestDaemon.start(t);
  const tree = path.join(d.dir, 'tree');
  writeTree(tree, { 'ok.txt': 'ok', 'dir/inner.txt': 'inner' });
  execFileSync('mkfifo', [path.join(tree, 'dir', 'fifo')]);
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(path.join(tree, 'sock'), r));
  t.teardown(() => server.close());
  fs.symlinkSync('loop-b', path.join(tree, 'loop-a'));
  fs.symlinkSync('loop-a', path.join(tree, 'loop-b'));
  fs.symlinkSync(tree, path.join(tree, 'dir', 'up'));
  fs.symlinkSync(path.join(tree, 'ok.txt'), path.join(tree, 'link.txt'));
  const badDir = Buffer.concat([Buffer.from(`${tree}/na`), Buffer.from([0xef, 0xbb]), Buffer.from('me')]);
  fs.mkdirSync(badDir);
  fs.writeFileSync(Buffer.concat([badDir, Buffer.from('/e'), Buffer.from([0xff]), Buffer.from('.com')]), eicar());
  const seg = 'L'.repeat(240);
  execFileSync('/bin/sh', ['-c', `cd "$1" && for i in $(seq 20); do mkdir ${seg} && cd -P ${seg}; done && cat > deep.com`, 'sh', tree], { input: eicar() });
  t.teardown(() => execFileSync('rm', ['-rf', tree]));

  const started = Date.now();
  const r = await scanJson(d, ['custom', '--path', tree]);
  t.ok(Date.now() - started < 60_000, 'finished: the FIFO was never opened');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.doc.state, 'succeeded');
  // What the scan saw, so a wrong count says why (skips, errors, events, threats).
  const seen = JSON.stringify({ skipped: r.doc.skipped, details: r.doc.details, threats: r.doc.threats.map((x) => x.path.slice(-40)) });
  t.equal(r.doc.filesScanned, 4, `ok.txt, dir/inner.txt, the odd name, the deep file: ${seen}`);
  t.match(r.doc.details.walk, { symlinks: 4, special: 2, loops: 0 });
  t.ok(r.doc.details.walk.longPaths >= 1);
  const paths = r.doc.threats.map((x) => x.path);
  t.ok(paths.includes(`${tree}/na\\xef\\xbbme/e\\xff.com`), 'escaped display path');
  t.ok(paths.some((p) => p.endsWith('/deep.com') && Buffer.byteLength(p) > 4096), 'the file beyond PATH_MAX');
  t.equal(r.doc.errors, 0);
  const threats = (await d.api('GET', '/v1/threats')).json.threats as { path: string }[];
  t.ok(threats.some((x) => x.path === `${tree}/na\\xef\\xbbme/e\\xff.com`), 'threat record with the escaped path');
});

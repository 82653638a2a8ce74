// Names that are not valid UTF-8 are walked with their exact bytes and reported escaped as
// \xHH (the raw bytes stay available); paths longer than PATH_MAX are walked (openat-relative)
// and counted.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { tmpDir, walkAll } from '../helpers/scan-walk.js';

t.test('invalid UTF-8 names', async (t) => {
  const root = tmpDir(t);
  const dirRaw = Buffer.concat([Buffer.from(root + '/caf'), Buffer.from([0xe9]), Buffer.from('-dir')]);
  fs.mkdirSync(dirRaw);
  const fileRaw = Buffer.concat([dirRaw, Buffer.from('/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]);
  fs.writeFileSync(fileRaw, 'x');
  fs.writeFileSync(path.join(root, 'ok-é.txt'), 'y'); // valid UTF-8 stays as it is
  fs.writeFileSync(Buffer.from(root + '/ctl\x01name'), 'z'); // control characters are escaped too
  const w = await walkAll({ roots: [root] });
  const byPath = new Map(w.paths.map((p, i) => [p, w.raws[i]]));
  t.ok(byPath.has(`${root}/caf\\xe9-dir/bad\\xff\\xfe.bin`), 'escaped display path');
  t.same(byPath.get(`${root}/caf\\xe9-dir/bad\\xff\\xfe.bin`), fileRaw, 'raw bytes kept');
  t.ok(byPath.has(path.join(root, 'ok-é.txt')));
  t.equal(byPath.get(path.join(root, 'ok-é.txt')), undefined, 'no raw copy for a valid name');
  t.ok(byPath.has(`${root}/ctl\\x01name`));
});

t.test('overlong encodings and surrogates are not valid UTF-8', async (t) => {
  const root = tmpDir(t);
  fs.writeFileSync(Buffer.concat([Buffer.from(root + '/'), Buffer.from([0xc0, 0xaf])]), 'x'); // overlong '/'
  fs.writeFileSync(Buffer.concat([Buffer.from(root + '/'), Buffer.from([0xed, 0xa0, 0x80])]), 'x'); // U+D800
  fs.writeFileSync(Buffer.concat([Buffer.from(root + '/'), Buffer.from([0xf0, 0x9f, 0x98, 0x80])]), 'x'); // U+1F600, valid
  const w = await walkAll({ roots: [root] });
  t.same([...w.paths].sort(), [`${root}/\\xc0\\xaf`, `${root}/\\xed\\xa0\\x80`, `${root}/\u{1F600}`].sort());
});

t.test('a path longer than PATH_MAX', async (t) => {
  const root = tmpDir(t);
  // 24 levels of 200-byte names: ~4.8 KB, beyond PATH_MAX (4096). Built with relative
  // mkdir + `cd -P` steps so no single call sees the whole path; removed with rm -rf (fts).
  const seg = 'd'.repeat(200);
  execFileSync('/bin/sh', ['-c', `cd "$1" && for i in $(seq 24); do mkdir ${seg} && cd -P ${seg}; done && printf deep > leaf.txt`, 'sh', root]);
  t.teardown(() => execFileSync('rm', ['-rf', root]));
  const w = await walkAll({ roots: [root] });
  t.equal(w.paths.length, 1);
  const p = w.paths[0]!;
  t.ok(Buffer.byteLength(p) > 4096, `path is ${Buffer.byteLength(p)} bytes`);
  t.ok(p.endsWith('/leaf.txt'));
  t.equal(w.sizes[0], 4);
  t.ok(w.walker.counts.longPaths >= 1, 'counted as long');
  t.equal(w.walker.counts.errors, 0, 'handled, not an error');
});

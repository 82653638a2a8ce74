// Generations on disk: a set that fails to load never becomes current; a damaged current
// generation falls back to the previous one at start; crash leftovers are cleaned.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, tmp, writePackage } from '../helpers/update-fixtures.js';
import { GenerationStore } from '../../src/definitions/generations.js';

t.test('a package that does not load is refused; the current generation stays', async (t) => {
  const pub = publisher(t);
  const share = tmp(t, 'wdav-share-');
  const a = sample('Atomic');
  writePackage(share, { 'a.hdb': a.hdb }, '1', pub.privateKey);
  const h = await harness(t, { update: { url: share, trustedKeyDirs: [pub.keysDir] } });
  await h.service.update();
  writePackage(share, { 'a.hdb': a.hdb, 'rules.yar': 'rule bad { condition: nonsense( }\n' }, '2', pub.privateKey);
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_INVALID', message: /definitions failed to load: .*rules\.yar/u });
  t.equal(h.service.status().definitions_version, '1');
  t.equal(h.service.status().definitions_status, 'failed');
  t.equal(await h.scan(a.data), a.name);
  const defs = path.join(h.stateDir, 'definitions');
  t.same(fs.readdirSync(defs).sort(), ['current.json', 'gen-000001'], 'the refused generation was removed');
  t.same(h.changes, ['start:none', 'update:1'], 'no switch happened');
});

t.test('at start, a damaged current generation falls back to the previous one', async (t) => {
  const pub = publisher(t);
  const share = tmp(t, 'wdav-share-');
  const a = sample('Gen1');
  const b = sample('Gen2');
  const first = await harness(t, { update: { url: share, trustedKeyDirs: [pub.keysDir] } });
  writePackage(share, { 'a.hdb': a.hdb }, '1', pub.privateKey);
  await first.service.update();
  writePackage(share, { 'a.hdb': b.hdb }, '2', pub.privateKey);
  await first.service.update();
  const defs = path.join(first.stateDir, 'definitions');
  // Same size, other content: only the SHA-256 check at start notices.
  const f = path.join(defs, 'gen-000002', 'a.hdb');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^./u, (c) => (c === 'a' ? 'b' : 'a')));
  fs.mkdirSync(path.join(defs, '.staging-crashed'));
  fs.writeFileSync(path.join(defs, 'current.json.tmp-dead'), '{');

  const second = await harness(t, { stateDir: first.stateDir, update: { url: share, trustedKeyDirs: [pub.keysDir] } });
  const st = second.service.status();
  t.equal(st.definitions_version, '1');
  t.match(st.issues.join('\n'), /gen-000002 failed to load: .*a\.hdb: SHA-256 differs from generation\.json/u);
  t.match(st.issues.join('\n'), /running on the previous generation gen-000001/u);
  t.equal(await second.scan(a.data), a.name);
  t.same(fs.readdirSync(defs).sort(), ['current.json', 'gen-000001', 'gen-000002'], 'crash leftovers removed');
  t.same(new GenerationStore(defs).readPointer(), { current: 'gen-000001', previous: null });

  t.same(await second.service.update(), { updated: true, version: '2', generation: 3 }, 'the next update repairs it');
  t.equal(await second.scan(b.data), b.name);
  t.same(fs.readdirSync(defs).filter((n) => n.startsWith('gen-')).sort(), ['gen-000001', 'gen-000003']);
});

t.test('a corrupt pointer: the newest generation that loads is used', async (t) => {
  const pub = publisher(t);
  const share = tmp(t, 'wdav-share-');
  const a = sample('Ptr');
  const first = await harness(t, { update: { url: share, trustedKeyDirs: [pub.keysDir] } });
  writePackage(share, { 'a.hdb': a.hdb }, '5', pub.privateKey);
  await first.service.update();
  fs.writeFileSync(path.join(first.stateDir, 'definitions', 'current.json'), 'garbage');
  const second = await harness(t, { stateDir: first.stateDir });
  t.equal(second.service.status().definitions_version, '5');
  t.match(second.service.status().issues, [/corrupt pointer file; using the newest generation gen-000001/u]);
});

// `mdatp definitions restore`: back to the previous generation, and again forward; older
// generations are pruned; nothing to restore is a clear error.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('restore returns to the previous generation', async (t) => {
  const pub = publisher(t);
  const dir = tmp(t, 'wdav-share-');
  const v = [sample('V1'), sample('V2'), sample('V3')];
  const h = await harness(t, { update: { url: dir, trustedKeyDirs: [pub.keysDir] } });
  await t.rejects(h.service.restore(), { code: 'WDAV_ERR_CONFLICT', message: /no previous definitions generation/u });
  for (const [i, s] of v.entries()) {
    writePackage(dir, { 'v.hdb': s.hdb }, String(i + 1), pub.privateKey);
    await h.service.update();
  }
  const defs = path.join(h.stateDir, 'definitions');
  t.same(fs.readdirSync(defs).filter((n) => n.startsWith('gen-')).sort(), ['gen-000002', 'gen-000003'], 'older generations pruned');
  t.equal(await h.scan(v[2]!.data), v[2]!.name);

  t.same(await h.service.restore(), { version: '2', generation: 2 });
  t.equal(await h.scan(v[1]!.data), v[1]!.name);
  t.equal(await h.scan(v[2]!.data), 'clean');
  const st = h.service.status();
  t.equal(st.definitions_version, '2');
  t.equal(st.previous_generation, 3);
  t.same(JSON.parse(fs.readFileSync(path.join(defs, 'current.json'), 'utf8')), { current: 'gen-000002', previous: 'gen-000003' });

  t.same(await h.service.restore(), { version: '3', generation: 3 }, 'restore again goes forward');
  t.equal(await h.scan(v[2]!.data), v[2]!.name);
  t.same(h.changes.slice(-2), ['restore:2', 'restore:3']);
});

t.test('after a restart the restored generation is the current one', async (t) => {
  const pub = publisher(t);
  const dir = tmp(t, 'wdav-share-');
  const a = sample('R1');
  const b = sample('R2');
  const first = await harness(t, { update: { url: dir, trustedKeyDirs: [pub.keysDir] } });
  writePackage(dir, { 'r.hdb': a.hdb }, '1', pub.privateKey);
  await first.service.update();
  writePackage(dir, { 'r.hdb': b.hdb }, '2', pub.privateKey);
  await first.service.update();
  await first.service.restore();
  const second = await harness(t, { stateDir: first.stateDir, update: { url: dir, trustedKeyDirs: [pub.keysDir] } });
  t.equal(second.service.status().definitions_version, '1');
  t.equal(await second.scan(a.data), a.name);
});

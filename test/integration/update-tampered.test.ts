// A file whose bytes differ from the signed manifest (sha256 mismatch) is refused; the previous
// generation stays active and the failure is reported in the health fields.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, staticServer, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('tampered file refused, previous generation still active', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  const good = sample('Good');
  const evil = sample('Evil');
  writePackage(root, { 'a.hdb': good.hdb }, '1', pub.privateKey);
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir] } });
  await h.service.update();

  writePackage(root, { 'a.hdb': evil.hdb, 'b.hdb': sample('More').hdb }, '2', pub.privateKey);
  // Same size, other bytes: only the SHA-256 can tell.
  const swapped = evil.hdb.replace(/^./u, (c) => (c === '0' ? '1' : '0'));
  fs.writeFileSync(path.join(root, 'a.hdb'), swapped);
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /a\.hdb: SHA-256 [0-9a-f]{64} differs from the signed manifest .*tampered file refused/u });
  t.equal(server.log.includes('GET /b.hdb'), false, 'stopped at the first bad file');

  const st = h.service.status();
  t.equal(st.definitions_version, '1');
  t.equal(st.generation, 1);
  t.equal(st.definitions_status, 'failed');
  t.match(st.definitions_update_fail_reason, /tampered/u);
  t.equal(await h.scan(good.data), good.name, 'the previous definitions still detect');
  t.equal(await h.scan(evil.data), 'clean');
  const defs = path.join(h.stateDir, 'definitions');
  t.same(fs.readdirSync(defs).sort(), ['current.json', 'gen-000001'], 'no staging directory or half generation left behind');

  // A longer file than the manifest says is refused while it downloads.
  fs.writeFileSync(path.join(root, 'a.hdb'), evil.hdb + evil.hdb);
  await t.rejects(h.service.update(), { message: /a\.hdb: larger than the \d+ bytes the signed manifest lists/u });
  // A file the manifest lists but the mirror lacks.
  fs.writeFileSync(path.join(root, 'a.hdb'), evil.hdb);
  fs.rmSync(path.join(root, 'b.hdb'));
  await t.rejects(h.service.update(), { message: /b\.hdb: listed in the manifest but missing/u });
  t.equal(await h.scan(good.data), good.name);

  // Repaired mirror: the update goes through and clears the failure.
  writePackage(root, { 'a.hdb': evil.hdb }, '2', pub.privateKey);
  t.same(await h.service.update(), { updated: true, version: '2', generation: 2 });
  t.equal(h.service.status().definitions_update_fail_reason, null);
  t.equal(h.service.status().definitions_status, 'up_to_date');
});

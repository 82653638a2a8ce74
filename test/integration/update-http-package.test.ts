// An update from a real loopback HTTP server serving a signed package: downloaded, verified,
// loaded, switched atomically; the engine detects with the new signatures at once.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, staticServer, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('signed package over HTTP becomes the current generation', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  const a = sample('A');
  const b = sample('B');
  writePackage(root, { 'company.hdb': a.hdb, 'rules.ndb': `Wdav.Test.Body-1:0:*:${Buffer.from('wdav-body-marker').toString('hex')}\n` }, '1.0.1', pub.privateKey);
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir] } });

  const before = h.service.status();
  t.equal(before.definitions_status, 'no_definitions');
  t.equal(before.offline_definition_url_configured, true);
  t.equal(await h.scan(a.data), 'clean');

  const r = await h.service.update();
  t.same(r, { updated: true, version: '1.0.1', generation: 1 });
  t.equal(await h.scan(a.data), a.name, 'hash signature from the package detects');
  t.equal(await h.scan(Buffer.from('xx wdav-body-marker yy')), 'Wdav.Test.Body-1', 'body signature from the package detects');
  t.same(server.log.slice(0, 3), ['GET /manifest.json', 'GET /manifest.json.sig', 'GET /company.hdb']);

  const st = h.service.status();
  t.equal(st.definitions_status, 'up_to_date');
  t.equal(st.definitions_version, '1.0.1');
  t.equal(st.definitions_update_source_uri, server.url);
  t.equal(st.definitions_update_fail_reason, null);
  t.ok(st.definitions_updated instanceof Date && Date.now() - st.definitions_updated.getTime() < 60_000);
  t.same(st.report?.files.map((f) => [path.basename(f.file), f.loaded]), [['company.hdb', 1], ['rules.ndb', 1]]);

  const genDir = path.join(h.stateDir, 'definitions', 'gen-000001');
  const meta = JSON.parse(fs.readFileSync(path.join(genDir, 'generation.json'), 'utf8'));
  t.match(meta, { generation: 1, version: '1.0.1', kind: 'package', source: server.url, signedBy: path.join(pub.keysDir, 'publisher.pem') });
  t.same(JSON.parse(fs.readFileSync(path.join(h.stateDir, 'definitions', 'current.json'), 'utf8')), { current: 'gen-000001', previous: null });

  // Same version again: nothing is downloaded beyond the manifest, no new generation.
  server.log.length = 0;
  t.same(await h.service.update(), { updated: false, version: '1.0.1', generation: 1 });
  t.same(server.log, ['GET /manifest.json', 'GET /manifest.json.sig']);

  // A newer version replaces it; the first is kept as previous.
  writePackage(root, { 'company.hdb': b.hdb }, '1.0.2', pub.privateKey);
  t.same(await h.service.update(), { updated: true, version: '1.0.2', generation: 2 });
  t.equal(await h.scan(b.data), b.name);
  t.equal(await h.scan(a.data), 'clean', 'signatures of the old generation are gone');
  t.equal(h.service.status().previous_generation, 1);
  t.same(h.changes, ['start:none', 'update:1.0.1', 'update:1.0.2']);

  // An older version is refused (replay of an old signed package) and the current set stays.
  writePackage(root, { 'company.hdb': a.hdb }, '1.0.0', pub.privateKey);
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /older than the installed 1\.0\.2/u });
  t.equal(h.service.status().definitions_status, 'failed');
  t.equal(h.service.status().definitions_version, '1.0.2');
  t.equal(await h.scan(b.data), b.name);
});

// Package signatures: a bad signature and an unsigned package are refused (current set kept);
// with offlineDefinitionUpdateVerifySig disabled an unsigned package is accepted.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, staticServer, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('bad signature refused', async (t) => {
  const trusted = publisher(t);
  const stranger = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  const s = sample('Sig');
  writePackage(root, { 'a.hdb': s.hdb }, '1', stranger.privateKey);
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [trusted.keysDir] } });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_SIGNATURE_INVALID', message: /does not verify with any of 1 trusted key/u });
  t.equal(server.log.includes('GET /a.hdb'), false, 'nothing listed in an unverified manifest is fetched');

  // A manifest edited after signing (a sha256 swapped for the attacker's file) fails the same way.
  writePackage(root, { 'a.hdb': s.hdb }, '1', trusted.privateKey);
  const mf = path.join(root, 'manifest.json');
  fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').replace('"version": "1"', '"version": "9"'));
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_SIGNATURE_INVALID' });
  fs.writeFileSync(path.join(root, 'manifest.json.sig'), 'not base64 at all');
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_SIGNATURE_INVALID', message: /not an Ed25519 signature/u });
  t.equal(h.service.status().definitions_status, 'no_definitions');
  t.equal(await h.scan(s.data), 'clean');
});

t.test('no trusted key installed: refused with a pointer to the docs', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  writePackage(root, { 'a.hdb': sample('K').hdb }, '1', pub.privateKey);
  const server = await staticServer(t, root);
  const emptyKeys = tmp(t, 'wdav-nokeys-');
  fs.writeFileSync(path.join(emptyKeys, 'oops.pem'), fs.readFileSync(path.join(pub.keysDir, 'publisher.pem'), 'utf8').replace('PUBLIC', 'PRIVATE'));
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [emptyKeys] } });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_SIGNATURE_INVALID', message: /no trusted public key is installed .*oops\.pem: holds a PRIVATE key/u });
});

t.test('unsigned refused unless verification is disabled', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  const s = sample('Unsigned');
  writePackage(root, { 'a.hdb': s.hdb }, '3', pub.privateKey);
  fs.rmSync(path.join(root, 'manifest.json.sig'));
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir] } });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /the package is unsigned \(manifest\.json\.sig is missing\); refused because offlineDefinitionUpdateVerifySig is enabled/u });
  t.equal(await h.scan(s.data), 'clean');

  h.service.configure({ verifySignature: false });
  t.same(await h.service.update(), { updated: true, version: '3', generation: 1 });
  t.equal(await h.scan(s.data), s.name);
  t.notOk(JSON.parse(fs.readFileSync(path.join(h.stateDir, 'definitions', 'gen-000001', 'generation.json'), 'utf8')).signedBy, 'recorded as not signature-checked');
});

// offlineDefinitionUpdateUrl as a local directory: an absolute path or a file:// URL.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { harness, publisher, sample, tmp, writePackage } from '../helpers/update-fixtures.js';
import { formatConnectivity } from '../../src/definitions/update.js';
import { makeCvd } from '../helpers/cvd-fixtures.js';

t.test('signed package from a directory path, then a file:// URL', async (t) => {
  const pub = publisher(t);
  const dir = tmp(t, 'wdav-share-');
  const a = sample('LocalA');
  const b = sample('LocalB');
  writePackage(dir, { 'local.hdb': a.hdb }, '2024.0101.000000', pub.privateKey);
  const h = await harness(t, { update: { url: dir, trustedKeyDirs: [pub.keysDir] } });
  t.same(await h.service.update(), { updated: true, version: '2024.0101.000000', generation: 1 });
  t.equal(await h.scan(a.data), a.name);
  t.equal(h.service.status().definitions_update_source_uri, dir);
  t.same((await h.service.connectivityTest()).map(formatConnectivity), [`Testing connection with ${path.join(dir, 'manifest.json')} ... [OK]`]);

  writePackage(dir, { 'local.hdb': b.hdb }, '2024.0102.000000', pub.privateKey);
  h.service.configure({ url: pathToFileURL(dir).toString() });
  t.same(await h.service.update(), { updated: true, version: '2024.0102.000000', generation: 2 });
  t.equal(await h.scan(b.data), b.name);
});

t.test('a ClamAV database directory (e.g. a copy of /var/lib/clamav)', async (t) => {
  const dir = tmp(t, 'wdav-clamdir-');
  const m = sample('DirMain');
  fs.writeFileSync(path.join(dir, 'main.cvd'), makeCvd({ db: 'main', version: 5, members: [{ name: 'main.hdb', data: Buffer.from(m.hdb) }] }));
  fs.writeFileSync(path.join(dir, 'daily.cvd'), makeCvd({ db: 'daily', version: 9, members: [{ name: 'daily.ndb', data: Buffer.from('Wdav.Test.Daily-1:0:*:0102030405\n') }] }));
  const h = await harness(t, { update: { url: dir } });
  t.same(await h.service.update(), { updated: true, version: '5.9.0', generation: 1 });
  t.equal(await h.scan(m.data), m.name);
  t.same((await h.service.connectivityTest()).map((r) => r.ok), [true]);
});

t.test('a directory that does not exist, a relative path', async (t) => {
  const h = await harness(t, { update: { url: '/nonexistent/wdav/definitions' } });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /\/nonexistent\/wdav\/definitions: directory does not exist/u });
  h.service.configure({ url: 'relative/dir' });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_CONFIG_INVALID', message: /must be an http\(s\) URL, a file:\/\/ URL or an absolute directory path/u });
  t.match(formatConnectivity((await h.service.connectivityTest())[0]!), /\[ERROR\] .*absolute directory path/u);
  h.service.configure({ url: null });
  await t.rejects(h.service.update(), { message: /offlineDefinitionUpdateUrl is not configured/u });
  t.equal(h.service.status().offline_definition_url_configured, false);
});

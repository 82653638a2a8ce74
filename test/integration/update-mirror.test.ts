// Updates from a ClamAV mirror layout (main.cvd, daily.cld, bytecode.cvd) over loopback HTTP:
// headers and MD5 verified, containers loaded through cvd.ts, unchanged mirrors cost three
// 512-byte Range reads, a corrupt CVD is refused with the current set kept.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, sample, staticServer, tmp } from '../helpers/update-fixtures.js';
import { makeCvd } from '../helpers/cvd-fixtures.js';

t.test('ClamAV mirror', async (t) => {
  const root = tmp(t, 'wdav-clam-');
  const m = sample('Main');
  const d = sample('Daily');
  const d2 = sample('Daily2');
  const put = (name: string, data: Buffer) => fs.writeFileSync(path.join(root, name), data);
  put('main.cvd', makeCvd({ db: 'main', version: 62, members: [{ name: 'main.hdb', data: Buffer.from(m.hdb) }], info: true }));
  put('daily.cld', makeCvd({ db: 'daily', version: 27400, members: [{ name: 'daily.hdb', data: Buffer.from(d.hdb) }], compress: false, md5: 'X' }));
  put('bytecode.cvd', makeCvd({ db: 'bytecode', version: 335, members: [{ name: 'bytecode.cbc', data: Buffer.from('not loaded by wdavdaemon\n') }] }));
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url.replace(/\/$/u, '') } });

  t.same(await h.service.update(), { updated: true, version: '62.27400.335', generation: 1 });
  t.equal(await h.scan(m.data), m.name, 'main.cvd signatures load');
  t.equal(await h.scan(d.data), d.name, 'daily.cld (plain tar) signatures load');
  const st = h.service.status();
  t.equal(st.definitions_version, '62.27400.335');
  const files = st.report!.files.map((f) => `${path.basename(path.dirname(f.file))}/${path.basename(f.file)}:${f.loaded}/${f.skipped}`);
  t.ok(files.includes('main.cvd/main.hdb:1/0'), files.join(' '));
  t.ok(files.includes('daily.cld/daily.hdb:1/0'));
  t.ok(files.some((f) => f.startsWith('bytecode.cvd/bytecode.cbc:0/')), 'bytecode is listed as skipped, not dropped silently');
  t.same(server.log.slice(0, 4), ['GET /manifest.json', 'GET /main.cvd bytes=0-511', 'GET /daily.cvd bytes=0-511', 'GET /daily.cld bytes=0-511']);

  server.log.length = 0;
  t.same(await h.service.update(), { updated: false, version: '62.27400.335', generation: 1 });
  t.same(server.log, ['GET /manifest.json', 'GET /main.cvd bytes=0-511', 'GET /daily.cvd bytes=0-511', 'GET /daily.cld bytes=0-511', 'GET /bytecode.cvd bytes=0-511'], 'only headers were read');

  // A new daily.cvd takes precedence over the cld; a corrupt main.cvd is refused.
  put('daily.cvd', makeCvd({ db: 'daily', version: 27401, members: [{ name: 'daily.hdb', data: Buffer.from(d2.hdb) }] }));
  const main = fs.readFileSync(path.join(root, 'main.cvd'));
  main[main.length - 20] ^= 0xff;
  put('main.cvd', main);
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /main\.cvd: MD5 mismatch/u });
  t.equal(h.service.status().definitions_version, '62.27400.335');
  t.equal(await h.scan(d.data), d.name);

  main[main.length - 20] ^= 0xff;
  put('main.cvd', main);
  t.same(await h.service.update(), { updated: true, version: '62.27401.335', generation: 2 });
  t.equal(await h.scan(d2.data), d2.name);
  t.equal(await h.scan(d.data), 'clean');
});

t.test('a source with neither layout is reported as such', async (t) => {
  const root = tmp(t, 'wdav-empty-');
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url } });
  await t.rejects(h.service.update(), { message: /not a definitions source \(neither manifest\.json nor main\.cvd found\)/u });
  fs.writeFileSync(path.join(root, 'main.cvd'), makeCvd({ db: 'main', version: 1, members: [{ name: 'main.hdb', data: Buffer.from(sample('m').hdb) }] }));
  await t.rejects(h.service.update(), { message: /ClamAV mirror without daily\.cvd or daily\.cld/u });
});

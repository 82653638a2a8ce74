// Updates and `mdatp connectivity test` through a real loopback HTTP proxy (cloudService.proxy):
// every request of the update reaches the mirror through the proxy.
import t from 'tap';
import { forwardProxy, harness, publisher, sample, staticServer, tmp, writePackage } from '../helpers/update-fixtures.js';
import { formatConnectivity } from '../../src/definitions/update.js';

t.test('a signed package through the proxy', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  const a = sample('Proxy');
  writePackage(root, { 'proxied.hdb': a.hdb }, '7', pub.privateKey);
  const server = await staticServer(t, root);
  const proxy = await forwardProxy(t);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir], http: { proxy: proxy.url, connectTimeoutMs: 2000, headersTimeoutMs: 5000, bodyIdleTimeoutMs: 5000, totalTimeoutMs: 30_000 } } });
  t.same(await h.service.update(), { updated: true, version: '7', generation: 1 });
  t.equal(await h.scan(a.data), a.name);
  const origin = new URL(server.url);
  // undici either tunnels (CONNECT host:port) or sends absolute-form requests: both go through the proxy.
  t.ok(proxy.log.length > 0, `the proxy was used: ${proxy.log.join(', ')}`);
  for (const line of proxy.log) t.match(line, new RegExp(`^(CONNECT ${origin.host}|GET ${origin.origin}/)`, 'u'), 'aimed at the mirror');
  t.same(server.log, ['GET /manifest.json', 'GET /manifest.json.sig', 'GET /proxied.hdb']);
  t.ok(server.peers.every((port) => proxy.upstreamPorts.has(port)), 'every request reached the mirror from a proxy connection');

  const lines = (await h.service.connectivityTest()).map(formatConnectivity);
  t.same(lines, [`Testing connection with proxy ${proxy.url} ... [OK]`, `Testing connection with ${server.url}manifest.json ... [OK]`]);
  t.ok(server.peers.every((port) => proxy.upstreamPorts.has(port)), 'the connectivity test went through the proxy too');
});

t.test('a dead proxy fails the update and the connectivity test, keeping the current set', async (t) => {
  const root = tmp(t, 'wdav-mirror-');
  const pub = publisher(t);
  writePackage(root, { 'x.hdb': sample('X').hdb }, '1', pub.privateKey);
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir], http: { proxy: `http://127.0.0.1:1`, connectTimeoutMs: 1000, headersTimeoutMs: 2000, bodyIdleTimeoutMs: 2000, totalTimeoutMs: 10_000 } } });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /manifest\.json/u });
  t.equal(server.log.length, 0);
  const st = h.service.status();
  t.equal(st.definitions_status, 'no_definitions');
  t.match(st.definitions_update_fail_reason, /manifest\.json/u);
  const results = await h.service.connectivityTest();
  t.equal(results.length, 2);
  t.match(formatConnectivity(results[0]!), /^Testing connection with proxy http:\/\/127\.0\.0\.1:1 \.\.\. \[ERROR\] .*ECONNREFUSED/u);
  t.match(formatConnectivity(results[1]!), /\[ERROR\]/u);
});

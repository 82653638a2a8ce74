// Bounded downloads: a server that never answers, a body that stalls, a file above the size
// cap, and a cancelled update — each fails quickly with a clear reason, keeping the current set.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, staticServer, tmp, writePackage } from '../helpers/update-fixtures.js';

const fast = { proxy: null, connectTimeoutMs: 1000, headersTimeoutMs: 300, bodyIdleTimeoutMs: 300, totalTimeoutMs: 5000 };

t.test('headers, body idle, size cap, cancel', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  const s = sample('Slow');
  writePackage(root, { 'big.hdb': s.hdb + '#'.repeat(5000) + '\n' }, '1', pub.privateKey);
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir], http: fast } });

  server.hang.add('/manifest.json');
  let t0 = Date.now();
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message: /manifest\.json: no response within 300 ms/u });
  t.ok(Date.now() - t0 < 3000, `headers timeout after ${Date.now() - t0} ms`);
  server.hang.clear();

  server.stall.add('/big.hdb');
  t0 = Date.now();
  await t.rejects(h.service.update(), { message: /big\.hdb: download stalled: no data for 300 ms/u });
  t.ok(Date.now() - t0 < 3000, `body idle timeout after ${Date.now() - t0} ms`);
  server.stall.clear();

  h.service.configure({ maxFileBytes: 1000 });
  await t.rejects(h.service.update(), { code: 'WDAV_ERR_DEFINITIONS_INVALID', message: /files\[0\] 'big\.hdb' is \d+ bytes, above the 1000-byte limit/u });
  h.service.configure({ maxFileBytes: 1 << 30 });

  server.hang.add('/big.hdb');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  h.service.configure({ http: { ...fast, headersTimeoutMs: 10_000 } });
  await t.rejects(h.service.update(ac.signal), { message: /big\.hdb: cancelled/u });
  server.hang.clear();

  t.equal(h.service.status().definitions_status, 'no_definitions');
  t.same(fs.readdirSync(path.join(h.stateDir, 'definitions')), [], 'no staging left behind');
  t.same(await h.service.update(), { updated: true, version: '1', generation: 1 }, 'works once the server behaves');
});

t.test('concurrent update calls share one attempt; status shows updating meanwhile', async (t) => {
  const pub = publisher(t);
  const root = tmp(t, 'wdav-mirror-');
  writePackage(root, { 'a.hdb': sample('Shared').hdb }, '1', pub.privateKey);
  const server = await staticServer(t, root);
  const h = await harness(t, { update: { url: server.url, trustedKeyDirs: [pub.keysDir], http: fast } });
  const p1 = h.service.update();
  const p2 = h.service.update();
  t.equal(p1, p2);
  t.equal(h.service.status().definitions_status, 'updating');
  await p1;
  t.equal(server.log.filter((l) => l === 'GET /manifest.json').length, 1);
});

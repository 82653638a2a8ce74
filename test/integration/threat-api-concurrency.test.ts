import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';
import { seedThreats, makeFile, detection } from '../helpers/threats.js';

// Concurrent API requests on one threat are serialized by the daemon: one restore or removal
// wins, the others are told the threat is no longer in quarantine; nothing is done twice.

t.test('concurrent restore and remove requests over the socket', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-threat-race-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = path.join(dir, 'files');
  const a = makeFile(files, 'a.bin');
  const b = makeFile(files, 'b.bin');
  const [idA, idB] = await seedThreats(path.join(dir, 'state'), [detection(a.path), detection(b.path)]);
  const d = await InProcDaemon.start(t, { dir });

  const dests = Array.from({ length: 12 }, (_, i) => {
    const p = path.join(dir, `dest${i}`);
    fs.mkdirSync(p);
    return p;
  });
  const restores = await Promise.all(dests.map((p) => d.api('POST', '/v1/quarantine/restore', { id: idA, destination: p })));
  t.equal(restores.filter((r) => r.status === 200).length, 1, 'one restore succeeds');
  t.same([...new Set(restores.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.json.code}`))], ['409 WDAV_ERR_NOT_QUARANTINED']);
  t.equal(dests.flatMap((p) => fs.readdirSync(p)).length, 1, 'one file restored');

  const removes = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? d.api('DELETE', '/v1/quarantine') : d.api('DELETE', `/v1/quarantine/${idB}`))));
  const single = removes.filter((_, i) => i % 3 !== 2);
  const all = removes.filter((_, i) => i % 3 === 2);
  const removedByAll = all.reduce((n, r) => n + r.json.removed.length, 0);
  t.equal(single.filter((r) => r.status === 200).length + removedByAll, 1, 'removed exactly once');
  t.ok(single.every((r) => r.status === 200 || r.json.code === 'WDAV_ERR_NOT_QUARANTINED'));
  t.ok(all.every((r) => r.status === 200 && r.json.failed.length === 0), 'remove-all reports no failure for a racing removal');
  const threat = (await d.api('GET', `/v1/threats/${idB}`)).json.threat;
  t.same(threat.history.map((h: { status: string }) => h.status), ['detected', 'quarantined', 'removed']);
  t.same(fs.readdirSync(path.join(dir, 'state', 'quarantine')), []);
  t.equal(d.logs.filter((r) => r.event === 'threat_removed').length, 1, 'one removal event');
  t.equal(d.logs.filter((r) => r.event === 'threat_restored' && r.result === 'success').length, 1, 'one restore event');

  // Bad input gets a coded 4xx, never a crash.
  for (const [method, url, body, code] of [
    ['POST', '/v1/quarantine/restore', {}, 'WDAV_ERR_INVALID_ARGUMENT'],
    ['POST', '/v1/quarantine/restore', { id: idA, path: a.path }, 'WDAV_ERR_INVALID_ARGUMENT'],
    ['POST', '/v1/quarantine/restore', { id: idA, destination: 'bad\u0000path' }, 'WDAV_ERR_INVALID_PATH'],
    ['POST', '/v1/quarantine', { id: 7 }, 'WDAV_ERR_BAD_REQUEST'],
    ['PUT', '/v1/threat-policy', { type: 'archive_bomb' }, 'WDAV_ERR_BAD_REQUEST'],
    ['POST', '/v1/allowed-threats', { name: '' }, 'WDAV_ERR_BAD_REQUEST'],
    ['GET', `/v1/threats/${'x'.repeat(200)}`, undefined, 'WDAV_ERR_BAD_REQUEST'],
  ] as const) {
    const r = await d.api(method, url, body);
    t.equal(r.json.code, code, `${method} ${url} ${JSON.stringify(body)} → ${code}`);
  }
  t.equal((await d.api('GET', '/v1/health')).status, 200, 'daemon still serving');
});

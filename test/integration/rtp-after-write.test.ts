// fanotify RTP: a file written with malicious content is detected right after it is closed
// (FAN_CLOSE_WRITE → background scan, source on_write) and quarantined before anyone opens it;
// a clean file written the same way is scanned once, and its first open is answered from the
// verdict cache (no second scan).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { counters, eicar, openAs, skipFanotify, startRtpDaemon, threats, tmpfs, until, writeAs } from '../helpers/rtp.js';

t.test('after-write scan: detected and quarantined before any open; clean verdict reused', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const bad = path.join(dir, 'dropped.com');
  await writeAs(bad, eicar());
  const found = await until(async () => (await threats(d)).find((x) => x.path === bad && x.status === 'quarantined'), 10000);
  t.match(found, { source: 'on_write', name: 'Virus:DOS/EICAR_Test_File' }, 'detected after the write, quarantined');
  t.notOk(fs.existsSync(bad), 'gone from its path without anybody opening it');

  const good = path.join(dir, 'notes.txt');
  await writeAs(good, 'plain text');
  await until(async () => {
    const h = (await d.api('GET', '/v1/health?details=features')).json.fields.real_time_protection_after_write;
    return h && h.completed >= 2 && h.running === 0 && h.waiting === 0;
  }, 10000);
  const before = await counters(d);
  t.match(await openAs(good), { ok: true, data: 'plain text' });
  const after = await counters(d);
  t.equal(after.scanned, before.scanned, 'the first open needed no scan');
  t.ok(after.cacheHits > before.cacheHits, 'it was answered from the verdict cache');
});

// fanotify RTP: a file written with malicious content is detected right after it is closed
// (FAN_CLOSE_WRITE → background scan, source on_write) and quarantined before anyone opens it;
// a clean file written the same way is scanned once, and its clean verdict becomes a kernel
// ignore mark: its first open causes no permission event at all (no second scan, no JS).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { counters, eicar, health, openAs, skipFanotify, startRtpDaemon, threats, tmpfs, until, writeAs } from '../helpers/rtp.js';

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
  const native = async () => (await health(d)).features.real_time_protection_native as { events: { open: number }; ignoreMarks: { afterWrite: number } };
  const n0 = await native();
  t.ok(n0.ignoreMarks.afterWrite >= 1, 'the clean verdict after the write became a kernel ignore mark');
  t.match(await openAs(good), { ok: true, data: 'plain text' });
  const after = await counters(d);
  t.equal(after.scanned, before.scanned, 'the first open needed no scan');
  t.equal((await native()).events.open, n0.events.open, 'it caused no permission event at all');
});

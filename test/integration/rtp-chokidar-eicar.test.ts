// chokidar RTP (detect after write): health says inotify and why; EICAR and an infected
// executable written into a watched directory are detected once their writes settle (source
// on_write, not blocked) and quarantined; a clean file stays.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { MARKER, MARKER_NAME, buildProgram, eicar, health, skipRoot, sleep, startRtpDaemon, threats, until, watchedDir, writeAs } from '../helpers/rtp.js';

t.test('chokidar: EICAR and an infected executable are remediated after the write', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir] });
  const h = await health(d);
  t.match(h.fields, { real_time_protection_subsystem: 'inotify', real_time_protection_available: true, real_time_protection_subsystem_reason: /chokidar.*detected after writes, not blocked/ });
  t.same(h.features.real_time_protection_watched_paths, [dir]);

  const bad = path.join(dir, 'eicar.com');
  await writeAs(bad, eicar());
  const tool = path.join(dir, 'tool');
  buildProgram(`${tool}.tmp`, MARKER);
  fs.renameSync(`${tool}.tmp`, tool);
  const clean = path.join(dir, 'clean.txt');
  await writeAs(clean, 'hello');

  const list = await until(async () => {
    const l = await threats(d);
    return l.filter((x) => x.status === 'quarantined').length >= 2 ? l : null;
  }, 15000);
  t.ok(list, 'both threats quarantined');
  t.match(list!.find((x) => x.path === bad), { source: 'on_write', name: 'Virus:DOS/EICAR_Test_File' });
  t.match(list!.find((x) => x.path === tool), { source: 'on_write', name: MARKER_NAME });
  t.notOk(fs.existsSync(bad));
  t.notOk(fs.existsSync(tool));
  await sleep(500);
  t.ok(fs.existsSync(clean), 'the clean file stays');
  t.notOk(list!.some((x) => x.path === clean));
  const rec = d.logs.find((r) => r.component === 'rtp' && /detected/.test(r.msg) && r.path === bad);
  t.match(rec, { blocked: false, source: 'on_write' }, 'logged as not blocked');
});

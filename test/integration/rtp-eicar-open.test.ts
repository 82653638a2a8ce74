// fanotify RTP: EICAR opened by a non-root uid fails with EPERM before any byte is read, the
// threat is recorded (mdatp threat list, source real_time, the opener's uid) and the file is
// quarantined after the answer; a clean file next to it opens normally.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, health, openAs, put, skipFanotify, startRtpDaemon, threats, tmpfs, until, NOBODY } from '../helpers/rtp.js';

t.test('EICAR open by uid 65534 → EPERM, threat recorded, file quarantined', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const bad = put(path.join(dir, 'eicar.com'), eicar().toString('latin1'));
  const good = put(path.join(dir, 'readme.txt'), 'nothing to see');
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });

  const h = await health(d);
  t.equal(h.fields.real_time_protection_subsystem, 'fanotify');
  t.equal(h.fields.real_time_protection_available, true);
  t.same(h.features.real_time_protection_monitored_mounts, [`${dir} (tmpfs)`], 'only the test tmpfs is marked');

  t.match(await openAs(good), { ok: true, data: 'nothing to see' }, 'clean file opens');
  const r = await openAs(bad);
  t.match(r, { ok: false, code: 'EPERM' }, 'EICAR open is denied');

  const found = await until(async () => (await threats(d)).find((x) => x.path === bad && x.status === 'quarantined'), 10000);
  t.ok(found, 'threat recorded and quarantined');
  t.match(found, { name: 'Virus:DOS/EICAR_Test_File', source: 'real_time', process: { uid: NOBODY } });
  t.notOk(fs.existsSync(bad), 'the file left its original path');
  const rec = d.logs.find((l) => l.component === 'rtp' && /detected/.test(l.msg));
  t.match(rec, { path: bad, blocked: true, source: 'real_time' }, 'detection logged with blocked: true');
});

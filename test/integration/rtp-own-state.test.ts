// fanotify RTP with the daemon's own state directory (database, quarantine) inside the marked
// mount: its own opens and writes are answered natively (own pid), so quarantining into the
// marked mount causes no event loop; detections still work and everything else is answered.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, health, openAs, put, skipFanotify, startRtpDaemon, threats, tmpfs, until } from '../helpers/rtp.js';

t.test('own state directory inside the marked mount: no feedback loop', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const bad = put(path.join(dir, 'files', 'eicar.com'), eicar().toString('latin1'));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir], dir: path.join(dir, 'daemon') });
  t.match(await openAs(bad), { ok: false, code: 'EPERM' });
  t.ok(await until(async () => (await threats(d)).some((x) => x.path === bad && x.status === 'quarantined'), 10000), 'quarantined into the marked mount');
  t.ok(fs.readdirSync(path.join(d.stateDir, 'quarantine')).length > 0, 'the quarantine copy lives on the marked mount');
  const h = await health(d);
  const n = h.features.real_time_protection_native;
  t.ok(n.answeredNatively.self > 0, `own opens answered natively (${n.answeredNatively.self})`);
  t.ok(n.closeWrite.self > 0, `own writes dropped natively (${n.closeWrite.self})`);
  t.equal(h.features.real_time_protection_counters.scanned, 1, 'only the opener\'s event was scanned');
  t.equal(h.fields.healthy, true);
});

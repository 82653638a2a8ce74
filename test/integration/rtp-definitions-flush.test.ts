// fanotify RTP: a clean verdict cached in the kernel (ignore mark) does not outlive the
// definitions it was computed with — after `mdatp definitions reload` brings a signature that
// matches the file, the very next open is scanned again and denied (marks flushed with the
// verdict cache, mount marks kept: no moment without monitoring).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { health, openAs, put, skipFanotify, startRtpDaemon, tmpfs } from '../helpers/rtp.js';

t.test('definitions change → cached clean verdicts dropped, next open denied', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const marker = ['WDAV', 'LATE', 'SIGNATURE', '91b2'].join('_');
  const file = put(path.join(dir, 'report.txt'), `quarterly numbers ${marker}\n`);
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const native = async () => (await health(d)).features.real_time_protection_native;

  t.match(await openAs(file), { ok: true }, 'clean under the current definitions');
  const n1 = await native();
  t.ok(n1.ignoreMarks.added >= 1, 'clean verdict cached in the kernel');
  t.match(await openAs(file), { ok: true });
  t.equal((await native()).events.open, n1.events.open, 'second open: no event (ignore mark)');

  fs.writeFileSync(path.join(d.customDefs, 'late.ndb'), `Test.LateSignature:0:*:${Buffer.from(marker).toString('hex')}\n`);
  const r = await d.mdatp(['definitions', 'reload']);
  t.equal(r.code, 0, `definitions reload: ${r.stderr}`);
  const n2 = await native();
  t.ok(n2.ignoreMarks.flushes >= 1, 'ignore marks flushed');
  t.ok(n2.ignoreMarks.epoch > n1.ignoreMarks.epoch, 'epoch advanced');
  t.match(await openAs(file), { ok: false, code: 'EPERM' }, 'the next open is scanned with the new signature and denied');
  t.equal((await health(d)).features.real_time_protection_monitored_mounts.length, 1, 'the mount stayed marked throughout');
});

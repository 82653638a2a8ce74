// fanotify RTP under the slow-YARA attack (issue #11, finding 2): an unprivileged user writes a
// file that makes a YARA rule run for minutes. Its scan ends at the real-time time limit (well
// before the fanotify deadline), is reported as scan_timeout (journald event, health counter)
// and the file is allowed; an EICAR file the same user writes afterwards is still refused with
// EPERM on its first read and recorded — not allowed by the deadline's default response.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eicar, health, openAs, skipFanotify, startRtpDaemon, threats, tmpfs, until } from '../helpers/rtp.js';
import { SLOW_CONTENT_JS, SLOW_RULE, skipOther, writeAsOther, writeThenReadAsOther } from '../helpers/yara-slow.js';

t.test('slow YARA file, then EICAR: EICAR refused with EPERM and recorded', { skip: skipFanotify || skipOther, timeout: 40_000 }, async (t) => {
  const mount = tmpfs(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-yslow-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'definitions.d'));
  fs.writeFileSync(path.join(dir, 'definitions.d', 'slow.yar'), SLOW_RULE);
  const d = await startRtpDaemon(t, { dir, backend: 'fanotify', paths: [mount], managed: { wdavdaemon: { rtpTimeoutMs: 3000 } } });

  const slow = path.join(mount, 'slow.txt');
  await writeAsOther(slow, SLOW_CONTENT_JS);
  const bad = path.join(mount, 'dropped.com');
  const r = await writeThenReadAsOther(bad, eicar());
  t.equal(r.write, 'ok', 'the EICAR file was written');
  t.equal(r.read, 'EPERM', `its first read is refused (${r.ms} ms)`);
  const found = await until(async () => (await threats(d)).find((x) => x.path === bad), 10_000);
  t.ok(found, 'the EICAR file is in mdatp threat list');
  t.match(found, { name: 'Virus:DOS/EICAR_Test_File' });

  const timeout = await d.waitForLog((l) => l.event === 'scan_timeout' && l.path === slow, 10_000);
  t.match(timeout, { component: 'threats', source: 'on_write', engine: 'yara' }, 'the slow file was reported as scan_timeout');
  const o = await openAs(slow, { uid: 65534 });
  t.ok(o.ok, 'the slow file itself is allowed (nothing but YARA had anything to say)');
  t.ok(o.ms < 1000, `from the cached verdict, without a new scan (${Math.round(o.ms)} ms)`);
  const h = await health(d);
  t.ok(h.features.scan_timeouts.total >= 1, 'counted in mdatp health --details features');
  t.equal(h.features.real_time_protection_native.answeredNatively.timeout, 0, 'no event waited for the fanotify deadline');
});

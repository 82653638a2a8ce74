// fanotify RTP with the scanner process (issue #12): the scanner crashes on a file (the
// test-only marker makes it abort while scanning it for YARA) → the open waiting for that
// verdict is answered at once, not at the deadline; the scanner is back within a second with
// its rules; health says "scanner crashed on PATH"; and after it a YARA-detected file and EICAR
// are still blocked.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eicar, health, opener, put, skipFanotify, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';

const YARA_MARK = ['yara', 'after', 'crash', '9b2e'].join('-');
const RULE = `rule rtp_after_crash { strings: $a = "${YARA_MARK}" condition: $a }`;

t.test('a scanner crash: the open is answered, the scanner comes back, detection goes on', { skip: skipFanotify, timeout: 60_000 }, async (t) => {
  const mount = tmpfs(t);
  // Written before the daemon starts: no after-write scan crashes the scanner first.
  const crash = put(path.join(mount, 'crash.bin'), 'WDAV-TEST-SCANNER-CRASH and then some bytes');
  const yaraFile = put(path.join(mount, 'yara.txt'), `text with ${YARA_MARK} inside`);
  const eicarFile = put(path.join(mount, 'eicar.com'), eicar().toString('latin1'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-scrash-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'definitions.d'));
  fs.writeFileSync(path.join(dir, 'definitions.d', 'after-crash.yar'), RULE);
  const d = await startRtpDaemon(t, { dir, backend: 'fanotify', paths: [mount], managed: { wdavdaemon: { rtpTimeoutMs: 20_000 } }, env: { WDAV_TEST_HOOKS: '1' } });
  const first = (await health(d)).features.scanner;
  t.match(first, { state: 'running', restarts: 0 });

  const o = await opener(crash).done;
  t.ok(o.ms < 5_000, `the open was answered in ${Math.round(o.ms)} ms, not at the 20 s deadline`);
  t.equal(o.ok, true, 'allowed: nothing detected it (the engines that ran found nothing)');
  const crashedAt = Date.now();
  const back = await until(async () => {
    const s = (await health(d)).features.scanner;
    return s.state === 'running' && s.pid !== first.pid ? s : null;
  }, 5_000);
  t.ok(back, 'a new scanner process runs');
  t.ok(Date.now() - crashedAt < 1_500, `back within ${Date.now() - crashedAt} ms of the answer`);
  t.match(back, { restarts: 1, last_crash: { file: crash, signal: 'SIGABRT' } });
  const h = await health(d);
  t.ok(h.fields.health_issues.some((i: string) => i.startsWith(`scanner crashed on ${crash}`)), `health issue: ${JSON.stringify(h.fields.health_issues)}`);
  t.ok(d.logs.some((l) => l.msg === `scanner crashed on ${crash}` && l.code === 'WDAV_ERR_SCANNER'), 'logged with the file and code');

  const y = await opener(yaraFile).done;
  t.match(y, { ok: false, code: 'EPERM' }, 'the YARA rule still blocks: the new scanner has the rules');
  const e = await opener(eicarFile).done;
  t.match(e, { ok: false, code: 'EPERM' }, 'EICAR still blocked');
});

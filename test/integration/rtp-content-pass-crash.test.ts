// The content pass runs in the scanner process (issue #12): with no YARA rule loaded at all, a
// real-time open still reaches wdav-scanner — its digests and body signatures are computed
// there, not in the daemon. So the scanner crashing on a file (the test-only marker) answers
// the waiting open at once, the scanner is back within a second with its plan, and a body
// signature, a hash signature and EICAR are still blocked by native verdicts after it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MARKER, eicar, health, opener, put, skipFanotify, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';
import { writeSignatures } from '../helpers/scan-daemon.js';

t.test('no YARA: the open that crashes the scanner is answered, and detection goes on', { skip: skipFanotify, timeout: 60_000 }, async (t) => {
  const mount = tmpfs(t);
  const hashed = randomBytes(4000);
  // Written before the daemon starts: no after-write scan crashes the scanner first.
  const crash = put(path.join(mount, 'crash.bin'), `WDAV-TEST-SCANNER-CRASH ${'x'.repeat(5000)}`);
  const body = put(path.join(mount, 'body.bin'), `${'y'.repeat(3000)}${MARKER}${'z'.repeat(3000)}`);
  const hash = put(path.join(mount, 'hash.bin'), hashed);
  const eicarFile = put(path.join(mount, 'eicar.com'), eicar().toString('latin1'));
  const clean = put(path.join(mount, 'clean.bin'), 'c'.repeat(70_000));
  const dir = fs.mkdtempSync('/tmp/wdav-content-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeSignatures(path.join(dir, 'definitions.d'), [{ data: hashed, name: 'Test.Hash.Content' }], []);
  const d = await startRtpDaemon(t, { dir, backend: 'fanotify', paths: [mount], managed: { wdavdaemon: { rtpTimeoutMs: 20_000 } }, env: { WDAV_TEST_HOOKS: '1' } });
  const first = await health(d);
  t.match(first.features.scanner, { state: 'running', restarts: 0 });
  t.equal(first.fields.health_issues.length, 0, `no health issue: ${JSON.stringify(first.fields.health_issues)}`);

  const c = await opener(clean).done;
  t.equal(c.ok, true, 'a clean file opens');
  const before = (await health(d)).features.content_pass;
  t.ok(before.files >= 1, `the clean file was read in the scanner process (${JSON.stringify(before)})`);

  const o = await opener(crash).done;
  t.ok(o.ms < 5_000, `the open was answered in ${Math.round(o.ms)} ms, not at the 20 s deadline`);
  const answeredAt = Date.now();
  const back = await until(async () => {
    const s = (await health(d)).features.scanner;
    return s.state === 'running' && s.pid !== first.features.scanner.pid ? s : null;
  }, 5_000);
  t.ok(back, 'a new scanner process runs');
  t.ok(Date.now() - answeredAt < 1_500, `back within ${Date.now() - answeredAt} ms of the answer`);
  t.match(back, { restarts: 1, last_crash: { file: crash, signal: 'SIGABRT' } });
  const h = await health(d);
  t.ok(h.fields.health_issues.some((i: string) => i.startsWith(`scanner crashed on ${crash}`)), `health issue: ${JSON.stringify(h.fields.health_issues)}`);
  t.ok(d.logs.some((l) => l.msg === `scanner crashed on ${crash}` && l.code === 'WDAV_ERR_SCANNER'), 'logged with the file and code');

  for (const [file, what] of [[body, 'a body signature'], [hash, 'a hash signature'], [eicarFile, 'EICAR']] as const) {
    const r = await opener(file).done;
    t.match(r, { ok: false, code: 'EPERM' }, `${what} is still blocked`);
  }
  const after = (await health(d)).features.content_pass;
  t.ok(after.attaches >= 2, `the new scanner took the content pass over (${JSON.stringify(after)})`);
  t.ok(after.files > before.files, 'files went to the new scanner');
});

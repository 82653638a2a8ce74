// fanotify RTP, native verdicts (issue #12): with definitions that have no YARA work, a clean
// file's open is decided in the daemon's native code — read, hashed and matched against the
// body signatures on the group's own threads, allowed with an ignore mark — without its
// JavaScript. Shown with the JavaScript thread frozen (test hook): clean files open at once,
// while a file carrying the body signature still waits for JavaScript (the deadline answers it)
// and, once JavaScript is back, is blocked. A file just written is found clean natively too
// (its close_write) and marked, so its next open causes no event. An exclusion added while the daemon runs takes
// effect on the next open, no restart.
import t from 'tap';
import path from 'node:path';
import { MARKER, health, openAs, put, skipFanotify, startRtpDaemon, tmpfs, until, writeAs } from '../helpers/rtp.js';

const body = (i: number) => `clean content of file ${i}\n`.repeat(20);

t.test('clean files are allowed natively, detections still go through JavaScript', { skip: skipFanotify, timeout: 60_000 }, async (t) => {
  const dir = tmpfs(t);
  const clean = Array.from({ length: 30 }, (_, i) => put(path.join(dir, 'clean', `f${i}.txt`), body(i)));
  const late = put(path.join(dir, 'clean', 'late.txt'), body(99));
  const marked = `${'padding '.repeat(40)}${MARKER}${' tail'.repeat(40)}`;
  const bad = put(path.join(dir, 'bad', 'marker.bin'), marked);
  const bad2 = put(path.join(dir, 'bad', 'marker2.bin'), marked);
  const d = await startRtpDaemon(t, {
    backend: 'fanotify',
    paths: [dir],
    managed: { wdavdaemon: { rtpTimeoutMs: 2000, rtpDefaultResponse: 'allow' } },
    env: { WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '4000' },
  });
  const h0 = await health(d);
  t.ok(h0.features.real_time_protection_native.nativeVerdicts.threads >= 1, 'native verdicts are on (no YARA in the definitions)');

  for (const f of clean) t.match(await openAs(f), { ok: true }, `${path.basename(f)} opens`);
  const h1 = await health(d);
  const nv = h1.features.real_time_protection_native.nativeVerdicts;
  t.ok(nv.clean >= clean.length, `answered natively: ${nv.clean} clean`);
  t.equal(h1.features.real_time_protection_counters.scanned, 0, 'JavaScript scanned none of them');

  // After a write: the close_write is scanned natively too and the clean file gets its ignore
  // mark there, so opening it afterwards causes no permission event at all.
  const written = path.join(dir, 'written.txt'); // the tmpfs root is 1777: nobody may create here
  await writeAs(written, body(7));
  t.ok(await until(async () => (await health(d)).features.real_time_protection_native.nativeVerdicts.afterWriteClean >= 1, 5000), 'the written file was found clean natively');
  const opensBefore = (await health(d)).features.real_time_protection_native.events.open;
  t.match(await openAs(written), { ok: true });
  t.equal((await health(d)).features.real_time_protection_native.events.open, opensBefore, 'its next open caused no event (ignore mark)');

  // JavaScript frozen: a clean file is still answered at once; the marker file waits for the
  // deadline (its verdict needs JavaScript) and gets the default answer.
  d.proc.kill('SIGUSR2');
  await d.waitForLog((r) => /test hook: stalling/.test(r.msg));
  const r = await openAs(late);
  t.match(r, { ok: true }, 'a clean file opens while JavaScript is frozen');
  t.ok(r.ms < 1000, `in ${Math.round(r.ms)} ms, not at the 2 s deadline`);
  t.notOk(d.logs.some((rec) => /JavaScript thread resumed/.test(rec.msg)), 'before JavaScript came back');
  await d.waitForLog((rec) => /JavaScript thread resumed/.test(rec.msg), 15_000);

  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'the body signature still blocks (decided in JavaScript)');
  const h2 = await health(d);
  t.ok(h2.features.real_time_protection_native.nativeVerdicts.toJs >= 1, 'handed on to JavaScript');

  // An exclusion added while the daemon runs: the other marked file opens, no restart.
  const ex = await d.mdatp(['exclusion', 'folder', 'add', '--path', path.dirname(bad2)]);
  t.equal(ex.code, 0, ex.stderr);
  t.match(await openAs(bad2), { ok: true }, 'excluded folder: opens without a restart');
});

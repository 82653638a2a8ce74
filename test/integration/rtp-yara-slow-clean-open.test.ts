// fanotify RTP: while a slow-YARA file (issue #11, finding 2) is being scanned, other files open
// promptly: the stuck scan holds one of the scanner process's threads, not all of them, so clean files opened at the
// same time get their verdict well before the fanotify deadline instead of its default answer.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SLOW_CONTENT_JS, SLOW_RULE, skipOther, writeAsOther } from '../helpers/yara-slow.js';
import { health, openAs, put, skipFanotify, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';

t.test('clean files open well before the deadline while a slow file is scanned', { skip: skipFanotify || skipOther, timeout: 40_000 }, async (t) => {
  const mount = tmpfs(t);
  const clean = [0, 1, 2].map((i) => put(path.join(mount, `clean${i}.txt`), `plain text ${i}`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-yslow-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'definitions.d'));
  fs.writeFileSync(path.join(dir, 'definitions.d', 'slow.yar'), SLOW_RULE);
  const d = await startRtpDaemon(t, { dir, backend: 'fanotify', paths: [mount], managed: { wdavdaemon: { rtpTimeoutMs: 4000 } } });

  await writeAsOther(path.join(mount, 'slow.txt'), SLOW_CONTENT_JS);
  // In the content pass (native verdicts run the set's YARA in the scanner) or a YARA request.
  const running = async (): Promise<number> => {
    const f = (await health(d)).features;
    return (f.scanner?.in_flight ?? 0) + (f.content_pass?.in_flight ?? 0);
  };
  t.ok(await until(async () => (await running()) >= 1, 3000), 'the slow file\'s YARA scan is running');
  const opened = await Promise.all(clean.map((f) => openAs(f)));
  for (const [i, o] of opened.entries()) {
    t.match(o, { ok: true, data: `plain text ${i}` }, `clean${i}.txt opens`);
    t.ok(o.ms < 2000, `in ${Math.round(o.ms)} ms, well before the 4000 ms deadline`);
  }
  t.ok((await running()) >= 1, 'while the slow scan still ran');
  const h = await health(d);
  t.equal(h.features.real_time_protection_native.answeredNatively.timeout, 0, 'none was answered by the deadline');
});

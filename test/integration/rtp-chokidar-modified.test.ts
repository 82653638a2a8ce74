// chokidar RTP: a clean file is scanned and left alone; rewritten with EICAR later, the change
// is scanned again and remediated (the verdict cache keys on size/mtime/ctime, so the old clean
// verdict does not apply).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { counters, eicar, skipRoot, startRtpDaemon, threats, until, watchedDir } from '../helpers/rtp.js';

t.test('chokidar: clean, then modified to EICAR → detected', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir] });
  const f = path.join(dir, 'doc.txt');
  fs.writeFileSync(f, 'clean content');
  t.ok(await until(async () => (await counters(d)).clean >= 1, 10000), 'scanned clean');
  t.ok(fs.existsSync(f));
  fs.writeFileSync(f, eicar());
  const found = await until(async () => (await threats(d)).find((x) => x.path === f && x.status === 'quarantined'), 10000);
  t.match(found, { source: 'on_write' }, 'the modification was detected and remediated');
});

// chokidar RTP: an EICAR file written into an excluded folder, or with an excluded extension, is
// neither scanned nor remediated; the same content elsewhere is. (Process exclusions need the
// writer's identity, which inotify does not give: they apply to the fanotify backend only.)
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { counters, eicar, skipRoot, startRtpDaemon, threats, until, watchedDir } from '../helpers/rtp.js';

t.test('chokidar: exclusions are honoured without a scan', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir] });
  const excluded = path.join(dir, 'cache');
  fs.mkdirSync(excluded);
  t.equal((await d.mdatp(['exclusion', 'folder', 'add', '--path', excluded])).code, 0);
  t.equal((await d.mdatp(['exclusion', 'extension', 'add', '--name', '.bin'])).code, 0);
  fs.writeFileSync(path.join(excluded, 'eicar.com'), eicar());
  fs.writeFileSync(path.join(dir, 'eicar.bin'), eicar());
  const bad = path.join(dir, 'eicar.com');
  fs.writeFileSync(bad, eicar());
  t.ok(await until(async () => (await threats(d)).some((x) => x.path === bad && x.status === 'quarantined'), 10000), 'the unexcluded copy was remediated');
  const c = await counters(d);
  t.equal(c.excludedPath, 2, 'both excluded files were skipped by exclusion');
  t.equal(c.scanned, 1, 'only one file was scanned');
  t.ok(fs.existsSync(path.join(excluded, 'eicar.com')));
  t.ok(fs.existsSync(path.join(dir, 'eicar.bin')));
});

// chokidar RTP: the cap on watched directories (wdavdaemon.chokidarMaxDirectories) holds, and
// reaching it is a health issue naming the limit.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { health, skipRoot, startRtpDaemon, until, watchedDir } from '../helpers/rtp.js';

t.test('chokidar: directory cap → health issue', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  for (let i = 0; i < 6; i++) fs.mkdirSync(path.join(dir, `d${i}`, 'sub'), { recursive: true });
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir], managed: { wdavdaemon: { chokidarMaxDirectories: 4 } } });
  const h = await until(async () => {
    const x = await health(d);
    return x.fields.health_issues.length ? x : null;
  }, 10000);
  t.ok(h, 'a health issue appears');
  t.match(h!.fields.health_issues.join('\n'), /chokidarMaxDirectories/);
  t.equal(h!.fields.healthy, false);
  t.ok(h!.features.real_time_protection_watched_directories <= 4, `at most 4 directories watched (${h!.features.real_time_protection_watched_directories})`);

});

// chokidar RTP: the daemon's own state directory is never watched, even inside an RTP path —
// its database and quarantine writes must not feed back into scans. An EICAR file dropped there
// stays untouched, while the same file next to it is remediated.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, skipRoot, sleep, startRtpDaemon, threats, until, watchedDir } from '../helpers/rtp.js';

t.test('chokidar: own state directory never watched', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir], dir: path.join(dir, 'daemon') });
  const inState = path.join(d.stateDir, 'dropped.com');
  fs.writeFileSync(inState, eicar());
  const outside = path.join(dir, 'dropped.com');
  fs.writeFileSync(outside, eicar());
  t.ok(await until(async () => (await threats(d)).some((x) => x.path === outside && x.status === 'quarantined'), 10000), 'the file beside it was remediated');
  await sleep(500);
  t.ok(fs.existsSync(inState), 'the file in the state directory is untouched');
  t.notOk((await threats(d)).some((x) => x.path === inState));
});

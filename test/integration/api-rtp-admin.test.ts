// The real-time diagnostics reveal other users' file paths and process names: a member of
// mdatp (read-only) is refused them, over the API and through mdatp, while root reads them.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { startRtpDaemon, watchedDir } from '../helpers/rtp.js';
import { memberUser } from '../helpers/users.js';

const member = memberUser();

t.test('rtp statistics and hot event sources are admin only', { skip: member.skip }, async (t) => {
  const dir = watchedDir(t);
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir] });
  fs.chmodSync(d.dir, 0o755);
  fs.chmodSync(path.join(d.dir, 'run'), 0o755);
  const asMember = { uid: member.uid!, gid: member.gid! };

  for (const url of ['/v1/rtp/statistics', '/v1/rtp/hot-event-sources?kind=files', '/v1/rtp/hot-event-sources?kind=executables']) {
    t.equal((await d.api('GET', url)).status, 200, `root reads ${url}`);
  }
  for (const args of [['diagnostic', 'real-time-protection-statistics'], ['diagnostic', 'hot-event-sources', 'files'], ['diagnostic', 'hot-event-sources', 'executables']]) {
    const r = await d.mdatp([...args, '--output', 'json'], asMember);
    t.not(r.code, 0, `mdatp ${args.join(' ')} is refused to a reader`);
    t.match(r.stderr, /Permission denied: uid \d+ lacks administrative privileges/);
    t.notMatch(r.stdout, /counters|Total Events|\[/, 'nothing of the statistics is printed');
    t.equal((await d.mdatp(args)).code, 0, `root runs mdatp ${args.join(' ')}`);
  }
});

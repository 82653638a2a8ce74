// chokidar RTP: `mdatp config real-time-protection --value disabled` stops watching at run time
// (nothing written meanwhile is remediated), `enabled` watches again.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, health, skipRoot, sleep, startRtpDaemon, threats, until, watchedDir } from '../helpers/rtp.js';

t.test('chokidar: enforcement changes at run time', { skip: skipRoot }, async (t) => {
  const dir = watchedDir(t);
  const d = await startRtpDaemon(t, { backend: 'chokidar', paths: [dir] });
  const active = async () => (await health(d)).features.real_time_protection_active;
  t.equal((await d.mdatp(['config', 'real-time-protection', '--value', 'disabled'])).code, 0);
  t.ok(await until(async () => (await active()) === false), 'watcher closed');
  const off = path.join(dir, 'while-off.com');
  fs.writeFileSync(off, eicar());
  await sleep(1500);
  t.ok(fs.existsSync(off), 'not remediated while RTP is off');
  t.equal((await threats(d)).length, 0);
  t.equal((await d.mdatp(['config', 'real-time-protection', '--value', 'enabled'])).code, 0);
  t.ok(await until(async () => (await active()) === true), 'watching again');
  const on = path.join(dir, 'while-on.com');
  fs.writeFileSync(on, eicar());
  t.ok(await until(async () => (await threats(d)).some((x) => x.path === on && x.status === 'quarantined'), 10000), 'remediated again');
});

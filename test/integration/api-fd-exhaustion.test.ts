// A read-only user (member of mdatp) floods the control socket with more keep-alive
// connections than the daemon has file descriptors, refreshing each with a request every
// second. The daemon runs under a low fd limit (prlimit) with fanotify on a tmpfs of the test.
// What the users see must not change: root's `mdatp health` answers, a clean file on the
// monitored mount opens, EICAR there is still refused with EPERM, and the attacker's
// connections beyond its share are refused with a coded answer.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { foreignNode, foreignUserEnv } from '../helpers/daemon.js';
import { eicar, openAs, put, skipFanotify, sleep, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';
import { memberUser } from '../helpers/users.js';

const FD_LIMIT = 160;
const CONNECTIONS = 300;
const flood = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'api-flood.mjs');
const member = memberUser();
const skip = skipFanotify || member.skip;

interface Tally { attempts: number; connected: number; ok: number; refused: number; errors: number; open: number; codes: Record<string, number> }

t.test('a reader holding more connections than the daemon has fds leaves root and the monitored mount unharmed', { skip }, async (t) => {
  const dir = tmpfs(t);
  const clean = put(path.join(dir, 'clean.txt'), 'nothing to see');
  const bad = put(path.join(dir, 'eicar.com'), eicar().toString('latin1'));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir], launcher: ['prlimit', `--nofile=${FD_LIMIT}:${FD_LIMIT}`, '--'] });
  fs.chmodSync(d.dir, 0o755);
  fs.chmodSync(path.join(d.dir, 'run'), 0o755);

  const [cmd, argv] = foreignNode([flood, d.socket, String(CONNECTIONS), '1000']);
  const attacker = spawn(cmd, argv, { uid: member.uid!, gid: member.gid!, env: foreignUserEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    attacker.kill('SIGKILL');
  });
  let tally: Tally | null = null;
  attacker.stdout!.setEncoding('utf8').on('data', (c: string) => {
    const last = c.trim().split('\n').pop();
    if (last) tally = JSON.parse(last) as Tally;
  });
  const settled = await until(() => tally !== null && tally.connected + tally.errors >= CONNECTIONS, 10_000);
  t.ok(settled, `every connection attempt settled: ${JSON.stringify(tally)}`);
  await sleep(1500); // the attacker refreshes its connections meanwhile

  const fds = fs.readdirSync(`/proc/${d.proc.pid}/fd`).length;
  t.comment(`attacker: ${JSON.stringify(tally)}; daemon holds ${fds} of ${FD_LIMIT} fds`);

  const h = await d.mdatp(['health', '--field', 'healthy']);
  t.equal(h.code, 0, `root's mdatp health answers during the flood: ${h.stderr.trim()}`);
  t.match(await openAs(clean), { ok: true, data: 'nothing to see' }, 'a clean file on the monitored mount opens');
  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'EICAR on the monitored mount is still refused');

  const last = tally! as Tally;
  t.ok(last.refused >= CONNECTIONS - 16, `the attacker's extra connections are refused (${last.refused} of ${CONNECTIONS})`);
  t.ok((last.codes.WDAV_ERR_TOO_MANY_CONNECTIONS ?? 0) > 0, 'refusals carry a coded answer');
  t.ok(fds < FD_LIMIT - 16, `the daemon keeps fds in reserve (${fds} of ${FD_LIMIT})`);
  t.match(d.logs.find((r) => /control connection caps lowered/.test(r.msg)), { fdLimit: FD_LIMIT }, 'the daemon said its fd limit is too small for the configured caps');
});

// Connections to the control socket are capped per uid and in total for everyone but the
// administrators, who keep slots of their own: a reader beyond its share is refused at once
// with a coded 503 (counted, logged once per interval, not once per connection), root still
// gets in, and the reader's share comes back when its connections close.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestDaemon, foreignNode, foreignUserEnv } from '../helpers/daemon.js';
import { until } from '../helpers/rtp.js';
import { memberUser } from '../helpers/users.js';

const flood = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'api-flood.mjs');
const member = memberUser();

interface Tally { connected: number; ok: number; refused: number; errors: number; open: number; codes: Record<string, number> }

t.test('per-uid and total caps for readers, reserved slots for root', { skip: member.skip }, async (t) => {
  const d = await TestDaemon.start(t, { managed: { wdavdaemon: { apiMaxConnections: 3, apiMaxConnectionsPerUid: 2 } } });
  fs.chmodSync(d.dir, 0o755);
  fs.chmodSync(path.join(d.dir, 'run'), 0o755);

  const [cmd, argv] = foreignNode([flood, d.socket, '6', '1000']);
  const attacker = spawn(cmd, argv, { uid: member.uid!, gid: member.gid!, env: foreignUserEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => attacker.kill('SIGKILL'));
  let tally: Tally | null = null;
  attacker.stdout!.setEncoding('utf8').on('data', (c: string) => {
    const last = c.trim().split('\n').pop();
    if (last) tally = JSON.parse(last) as Tally;
  });
  t.ok(await until(() => tally !== null && tally.ok + tally.refused >= 6, 5000), `every connection answered: ${JSON.stringify(tally)}`);
  const first = tally! as Tally;
  t.equal(first.ok, 2, 'two connections of the reader are served (its per-uid cap)');
  t.equal(first.refused, 4, 'the other four are refused');
  t.equal(first.codes.WDAV_ERR_TOO_MANY_CONNECTIONS, 4, 'each with a coded 503');

  const roots = await Promise.all(Array.from({ length: 6 }, () => d.api('GET', '/v1/health?field=healthy')));
  t.same(roots.map((r) => r.status), [200, 200, 200, 200, 200, 200], 'root is served beside them, beyond the readers\' total');

  const cli = await d.mdatp(['health', '--field', 'healthy'], { uid: member.uid!, gid: member.gid! });
  t.equal(cli.code, 1, 'mdatp of the same reader is refused meanwhile');
  t.match(cli.stderr, /^Too many connections to the control socket: uid \d+ may hold 2; try again when some have closed\n$/, 'with one line saying why');

  const refusals = d.logs.filter((r) => r.component === 'api' && /refused/.test(r.msg));
  t.equal(refusals.length, 1, 'the refusals are logged once per interval');
  t.match(refusals[0], { uid: member.uid, reason: 'perUid', limit: 2 });

  const h = await d.api('GET', '/v1/health?details=features');
  t.match(h.json.fields.api_connections, { refused: { perUid: 5 }, limits: { total: 3, perUid: 2 } }, 'counted in health');

  attacker.kill('SIGKILL');
  const again = await until(async () => {
    const r = await d.mdatp(['health', '--field', 'healthy'], { uid: member.uid!, gid: member.gid! });
    return r.code === 0 ? r : null;
  }, 5000);
  t.ok(again, 'the reader is served again once its connections are gone');
});

// SIGTERM and SIGINT stop in order (API closed, DB closed) and exit 0 in a bounded time;
// SIGHUP reloads the managed configuration and the custom drop-in definitions without a restart.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { sample } from '../helpers/update-fixtures.js';

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${sig}: ordered stop, exit 0, socket removed`, async (t) => {
    const d = await TestDaemon.start(t);
    const t0 = Date.now();
    await d.stop(sig);
    t.equal(d.exitCode, 0);
    t.ok(Date.now() - t0 < 10_000, 'within a bounded time');
    const stopped = d.logs.filter((r) => typeof r.msg === 'string' && r.msg.endsWith(' stopped')).map((r) => r.stage);
    t.ok(stopped.indexOf('api') < stopped.indexOf('store'), 'API closes before the database');
    t.notOk(fs.existsSync(d.socket), 'socket file removed');
  });
}

t.test('SIGHUP reloads the managed configuration and the custom definitions', async (t) => {
  const d = await TestDaemon.start(t, { managed: { antivirusEngine: { scanArchives: true } } });
  d.writeManaged({ antivirusEngine: { enforcementLevel: 'on_demand' } });
  const custom = sample('Hup');
  fs.writeFileSync(path.join(d.customDefs, 'local.hdb'), custom.hdb);
  d.proc.kill('SIGHUP');
  const hup = await d.waitForLog((r) => r.msg === 'reloading configuration and custom definitions (SIGHUP)');
  await d.waitForLog((r) => r.msg === 'definitions switched' && r.reason === 'custom' && d.logs.indexOf(r) > d.logs.indexOf(hup));
  const defs = JSON.parse((await d.mdatp(['health', '--details', 'definitions', '--output', 'json'])).stdout);
  t.equal(defs.signature_counts.hashSignatures, 1, 'the drop-in hash signature is loaded');
  for (let i = 0; i < 50; i++) {
    const f = (await d.mdatp(['health', '--field', 'enforcement_level'])).stdout.trim();
    if (f.startsWith('"on_demand"')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal((await d.mdatp(['health', '--field', 'enforcement_level'])).stdout.trim(), '"on_demand" [managed]');
  t.equal(d.exitCode, null, 'still running');
});

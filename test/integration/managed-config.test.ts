// The managed file (mdatp_managed.json) is hot-reloaded; an invalid file keeps the last good
// configuration and shows as a health issue; managed settings cannot be changed with mdatp and
// health marks them [managed]; keys we do not implement are accepted and reported. The daemon
// runs in the test's process (test/helpers/inproc.ts); mdatp talks to it over its socket.
import t from 'tap';
import { parseFields, waitFor } from '../helpers/daemon.js';
import { InProcDaemon } from '../helpers/inproc.js';

t.test('hot reload, invalid file keeps last good + health issue, [managed] refusal', async (t) => {
  const d = await InProcDaemon.start(t, {
    managed: { antivirusEngine: { enforcementLevel: 'passive', scanArchives: false }, edr: { groupIds: 'x' }, networkProtection: { enforcementLevel: 'block' } },
  });
  const health = () => d.mdatp(['health']).then((r) => parseFields(r.stdout));
  let f = await health();
  t.equal(f.enforcement_level, '"passive" [managed]');
  t.equal(f.passive_mode_enabled, 'true [managed]');
  t.equal(f.healthy, 'true', 'ignored MDE sections are not health issues');
  await d.waitForLog((r) => r.msg === 'managed configuration: key not implemented, ignored' && r.key === 'edr');

  const refused = await d.mdatp(['config', 'real-time-protection', '--value', 'enabled']);
  t.not(refused.code, 0, 'a managed setting cannot be changed locally');
  t.match(refused.stderr, /managed configuration/);
  t.equal(refused.stderr.trim().split('\n').length, 1);
  const jsonRefused = await d.api('PUT', '/v1/config/real-time-protection', { value: 'enabled' });
  t.equal(jsonRefused.status, 409);
  t.equal(jsonRefused.json.code, 'WDAV_ERR_MANAGED_SETTING');
  const localOk = await d.mdatp(['config', 'enable-file-hash-computation', '--value', 'enabled']);
  t.equal(localOk.code, 0, 'unmanaged settings still change');

  // hot reload: a new valid file applies without restart
  d.writeManaged({ antivirusEngine: { enforcementLevel: 'real_time' } });
  f = await waitFor(health, (x) => x.enforcement_level === '"real_time" [managed]');
  t.equal(f.enforcement_level, '"real_time" [managed]', 'hot reloaded');

  // invalid JSON: last good stays, health issue names the file and reason
  d.writeManaged('{ "antivirusEngine": { "enforcementLevel": ');
  f = await waitFor(health, (x) => x.healthy === 'false');
  t.equal(f.healthy, 'false');
  t.match(f.health_issues, /managed\.json is invalid: invalid JSON/);
  t.equal(f.enforcement_level, '"real_time" [managed]', 'the last good configuration is kept');
  const logged = await d.waitForLog((r) => r.msg === 'managed configuration refused; keeping the last valid configuration');
  t.equal(logged.level, 50, 'logged as an error');
  t.match(String(logged.file), /managed\.json$/);

  // wrong type: the key and the reason are reported
  d.writeManaged({ antivirusEngine: { enforcementLevel: 'on_demand', maximumOnDemandScanThreads: 'many' } });
  f = await waitFor(health, (x) => /maximumOnDemandScanThreads/.test(x.health_issues ?? ''));
  t.match(f.health_issues, /antivirusEngine\.maximumOnDemandScanThreads: expected an integer/);
  t.equal(f.enforcement_level, '"real_time" [managed]', 'nothing from the bad file applies');

  // fixed file clears the issue; removing the file releases the settings
  d.writeManaged({ antivirusEngine: { enforcementLevel: 'on_demand' } });
  f = await waitFor(health, (x) => x.healthy === 'true');
  t.equal(f.enforcement_level, '"on_demand" [managed]');
  const fs = await import('node:fs');
  fs.rmSync(d.managedFile);
  f = await waitFor(health, (x) => !String(x.enforcement_level).includes('[managed]'));
  t.equal(f.enforcement_level, '"real_time"', 'back to defaults when the file is removed');
});

t.test('a daemon starting with an invalid managed file starts on defaults and says why', async (t) => {
  const d = await InProcDaemon.start(t, { managed: '[1,2,3]' });
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.equal(h.healthy, false);
  t.match(h.health_issues[0], /top level must be a JSON object/);
  t.equal(h.enforcement_level, 'real_time');
});

t.test('exclusionsMergePolicy admin_only refuses local exclusions', async (t) => {
  const d = await InProcDaemon.start(t, {
    managed: { antivirusEngine: { exclusionsMergePolicy: 'admin_only', exclusions: [{ $type: 'excludedPath', isDirectory: true, path: '/srv/managed' }] } },
  });
  const r = await d.mdatp(['exclusion', 'folder', 'add', '--path', '/srv/local']);
  t.not(r.code, 0);
  t.match(r.stderr, /admin_only/);
  const list = await d.mdatp(['exclusion', 'list', '--output', 'json']);
  t.same(JSON.parse(list.stdout), [{ type: 'folder', path: '/srv/managed', scope: 'epp', managed: true }]);
});

import t from 'tap';
import { TestDaemon, parseFields } from '../helpers/daemon.js';

t.test('mdatp health in text and JSON against a real daemon', async (t) => {
  const d = await TestDaemon.start(t);
  const text = await d.mdatp(['health']);
  t.equal(text.code, 0, text.stderr);
  const f = parseFields(text.stdout);
  for (const k of ['healthy', 'health_issues', 'licensed', 'app_version', 'machine_guid', 'enforcement_level', 'log_level']) t.ok(k in f, `text has ${k}`);
  t.equal(f.healthy, 'true');
  t.equal(f.enforcement_level, '"real_time"', 'protection is on out of the box');
  const json = await d.mdatp(['health', '--output', 'json']);
  t.equal(json.code, 0);
  const h = JSON.parse(json.stdout);
  t.equal(h.healthy, true);
  t.same(h.health_issues, []);
  t.match(h.machine_guid, /^[0-9a-f-]{36}$/);
  const one = await d.mdatp(['health', '--field', 'enforcement_level']);
  t.equal(one.stdout.trim(), '"real_time"');
  const bad = await d.mdatp(['health', '--field', 'no_such_field']);
  t.not(bad.code, 0);
  t.match(bad.stderr, /unknown health field/);
  t.equal(bad.stderr.trim().split('\n').length, 1, 'one line');

  // the machine GUID persists across restarts
  await d.stop();
  d.spawn();
  await d.ready();
  const again = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.equal(again.machine_guid, h.machine_guid);
});

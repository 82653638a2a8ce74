import t from 'tap';
import fs from 'node:fs';
import { openThreatEnv, makeFile, detection, events } from '../helpers/threats.js';

t.test('allow list: add, list, remove, managed names, and the disallowed "allow" action', async (t) => {
  const e = await openThreatEnv(t, { managed: { antivirusEngine: { allowedThreats: ['Managed:Allowed/One'] } } });
  t.match(e.svc.admin.allowedList(), { names: [{ name: 'Managed:Allowed/One', source: 'managed' }], hashes: [] });
  const v = e.svc.admin.allowAdd('  PUA:Linux/Miner  ', 0);
  t.match(v.names, [{ name: 'Managed:Allowed/One' }, { name: 'PUA:Linux/Miner', source: 'local' }], 'name trimmed and listed');
  t.ok(e.svc.isAllowed('PUA:Linux/Miner'));
  t.throws(() => e.svc.admin.allowAdd('PUA:Linux/Miner', 0), { code: 'WDAV_ERR_ALREADY_EXISTS' });
  t.throws(() => e.svc.admin.allowAdd('Managed:Allowed/One', 0), { code: 'WDAV_ERR_ALREADY_EXISTS' });
  t.throws(() => e.svc.admin.allowAdd('', 0), { code: 'WDAV_ERR_INVALID_ARGUMENT' });
  t.throws(() => e.svc.admin.allowAdd('bad\nname', 0), { code: 'WDAV_ERR_INVALID_ARGUMENT' });
  t.match(events(e.logs, 'threat_allowed_added'), [{ threatName: 'PUA:Linux/Miner', user: 0, action: 'allow', result: 'success' }]);

  // An allowed name is recorded as allowed and left in place.
  const f = makeFile(e.files, 'miner');
  const out = await e.svc.handle(detection(f.path, { name: 'PUA:Linux/Miner', threatType: 'potentially_unwanted_application' }));
  t.equal(out.action, 'allowed');
  t.ok(fs.existsSync(f.path));

  e.svc.admin.allowRemove('PUA:Linux/Miner', 0);
  t.notOk(e.svc.isAllowed('PUA:Linux/Miner'));
  t.throws(() => e.svc.admin.allowRemove('PUA:Linux/Miner', 0), { code: 'WDAV_ERR_NOT_FOUND' });
  t.throws(() => e.svc.admin.allowRemove('Managed:Allowed/One', 0), { code: 'WDAV_ERR_MANAGED_SETTING' });
  // Hashes recorded by restores are removed by their sha256.
  e.svc.allow.add('sha256', 'AB'.repeat(32), 'restored threat x');
  e.svc.admin.allowRemove('ab'.repeat(32), 0);
  t.same(e.svc.admin.allowedList().hashes, []);

  e.setManaged({ antivirusEngine: { disallowedThreatActions: ['allow'] } });
  t.throws(() => e.svc.admin.allowAdd('Another:Threat', 0), { code: 'WDAV_ERR_ACTION_DISALLOWED' });
  t.match(events(e.logs, 'threat_action_refused').at(-1), { action: 'allow', threatName: 'Another:Threat', result: 'refused' });
  t.notOk(e.svc.isAllowed('Another:Threat'));
});

t.test('threat type policy: local setting, managed merge and admin_only', async (t) => {
  const e = await openThreatEnv(t);
  t.equal(e.config.settings.threatTypeSettings.potentially_unwanted_application, 'audit', 'default');
  t.same(e.svc.admin.setTypePolicy('potentially_unwanted_application', 'block', 0), { type: 'potentially_unwanted_application', action: 'block' });
  t.equal(e.config.settings.threatTypeSettings.potentially_unwanted_application, 'block');
  const f = makeFile(e.files, 'pua');
  t.equal((await e.svc.handle(detection(f.path, { threatType: 'potentially_unwanted_application' }))).action, 'quarantined', 'the new policy applies at once');
  t.throws(() => e.svc.admin.setTypePolicy('virus', 'off', 0), { code: 'WDAV_ERR_INVALID_ARGUMENT' }, 'only PUA and archive bombs have a policy');
  t.throws(() => e.svc.admin.setTypePolicy('archive_bomb', 'quarantine', 0), { code: 'WDAV_ERR_INVALID_ARGUMENT' });

  // merge: the managed file sets archive_bomb; a local PUA setting still applies, a local archive_bomb one is refused.
  e.setManaged({ antivirusEngine: { threatTypeSettings: [{ key: 'archive_bomb', value: 'off' }] } });
  e.svc.admin.setTypePolicy('potentially_unwanted_application', 'off', 0);
  t.equal(e.config.settings.threatTypeSettings.potentially_unwanted_application, 'off', 'merged local value');
  t.throws(() => e.svc.admin.setTypePolicy('archive_bomb', 'block', 0), { code: 'WDAV_ERR_MANAGED_SETTING', message: /managed configuration sets the action for archive_bomb/ });
  t.equal(e.config.settings.threatTypeSettings.archive_bomb, 'off', 'managed value kept');
  t.equal(e.config.settings.threatTypeSettings.potentially_unwanted_application, 'off', 'the refused change did not disturb the others');

  e.setManaged({ antivirusEngine: { threatTypeSettingsMergePolicy: 'admin_only' } });
  t.equal(e.config.settings.threatTypeSettings.potentially_unwanted_application, 'audit', 'admin_only ignores local values');
  t.throws(() => e.svc.admin.setTypePolicy('potentially_unwanted_application', 'block', 0), { code: 'WDAV_ERR_MANAGED_SETTING', message: /admin_only/ });
  t.match(events(e.logs, 'threat_action_refused').at(-1), { action: 'policy', result: 'refused' });
  t.ok(events(e.logs, 'threat_policy_changed').length >= 2);
});

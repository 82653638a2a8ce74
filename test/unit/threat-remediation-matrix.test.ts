import t from 'tap';
import fs from 'node:fs';
import { openThreatEnv, makeFile, detection, sha256 } from '../helpers/threats.js';
import { decide } from '../../src/threats/policy.js';
import type { EnforcementLevel, ThreatAction } from '../../src/config/settings.js';
import type { ThreatType } from '../../src/engine/types.js';

// Every enforcement level × threat type action × allowed kind, through ThreatService.handle
// with real files: what is recorded, the outcome, the status, and whether the file moved.
const LEVELS: EnforcementLevel[] = ['real_time', 'on_demand', 'passive'];
const TYPES: [ThreatType, ThreatAction | null][] = [
  ['virus', null],
  ['test', null],
  ['potentially_unwanted_application', 'audit'],
  ['potentially_unwanted_application', 'block'],
  ['potentially_unwanted_application', 'off'],
  ['archive_bomb', 'audit'],
  ['archive_bomb', 'block'],
  ['archive_bomb', 'off'],
];
const ALLOWED = ['none', 'managed allowedThreats', 'local name', 'restored hash'] as const;

t.test('enforcement level × threat type action × allowed', async (t) => {
  const e = await openThreatEnv(t);
  let n = 0;
  for (const allowed of ALLOWED) {
    for (const level of LEVELS) {
      for (const [type, action] of TYPES) {
        const name = `Test:Matrix/${++n}`;
        const f = makeFile(e.files, `m${n}`);
        e.setManaged({ antivirusEngine: { enforcementLevel: level, allowedThreats: allowed === 'managed allowedThreats' ? [name] : [], ...(action ? { threatTypeSettings: [{ key: type, value: action }] } : {}) } });
        if (allowed === 'local name') e.svc.admin.allowAdd(name, 0);
        if (allowed === 'restored hash') e.svc.allow.add('sha256', sha256(f.data), 'test');
        // What real-time protection would answer the kernel, with the same allow list.
        const blocked = level === 'real_time' && decide(e.config.settings, { name, threatType: type }, e.svc.isAllowed(name, sha256(f.data))).deny;
        const out = await e.svc.handle(detection(f.path, { name, threatType: type, source: level === 'real_time' ? 'real_time' : 'on_demand', blocked }));

        const isAllowed = allowed !== 'none';
        const expected = isAllowed ? 'allowed' : action === 'off' ? 'ignored' : action === 'audit' || level === 'passive' ? 'reported' : 'quarantined';
        const label = `${level} ${type} ${action ?? '(always block)'} allowed=${allowed}`;
        t.equal(out.action, expected, `${label}: outcome`);
        t.equal(fs.existsSync(f.path), expected !== 'quarantined', `${label}: file ${expected === 'quarantined' ? 'moved to quarantine' : 'left in place'}`);
        t.equal(blocked, expected === 'quarantined' && level === 'real_time', `${label}: access denied only when blocking in real time`);
        if (expected === 'ignored') {
          t.equal(out.threatId, null, `${label}: nothing recorded`);
          continue;
        }
        const v = e.svc.get(out.threatId!);
        const status = { allowed: 'allowed', reported: 'detected', quarantined: 'quarantined' }[expected];
        t.equal(v.status, status, `${label}: status`);
        t.equal(v.history!.some((h) => h.status === 'blocked'), blocked, `${label}: blocked in history iff denied`);
        t.equal(v.quarantine === null, expected !== 'quarantined', `${label}: quarantine record iff quarantined`);
      }
    }
  }
  t.equal(e.svc.quarantined().length, 2 * 4, 'only virus, test, pua=block and bomb=block, not allowed, in real_time and on_demand');
});

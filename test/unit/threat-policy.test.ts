import t from 'tap';
import { decide } from '../../src/threats/policy.js';
import type { EnforcementLevel } from '../../src/config/settings.js';
import type { ThreatType } from '../../src/engine/types.js';

const base = { threatTypeSettings: { potentially_unwanted_application: 'audit', archive_bomb: 'audit' } as const, allowedThreats: [] as string[] };

t.test('enforcement level × threat type action × allowed', async (t) => {
  const cases: [EnforcementLevel, ThreatType, 'audit' | 'block' | 'off' | undefined, boolean, string, boolean, boolean][] = [
    // level,      type,                                action,  allowed, reason,          deny,  quarantine
    ['real_time', 'virus', undefined, false, 'blocked', true, true],
    ['on_demand', 'virus', undefined, false, 'blocked', false, true],
    ['passive', 'virus', undefined, false, 'passive_mode', false, false],
    ['real_time', 'potentially_unwanted_application', 'audit', false, 'type_audit', false, false],
    ['real_time', 'potentially_unwanted_application', 'block', false, 'blocked', true, true],
    ['real_time', 'archive_bomb', 'off', false, 'type_off', false, false],
    ['passive', 'archive_bomb', 'block', false, 'passive_mode', false, false],
    ['real_time', 'trojan', undefined, true, 'allowed_threat', false, false],
    ['real_time', 'potentially_unwanted_application', 'block', true, 'allowed_threat', false, false],
  ];
  for (const [level, type, action, allowed, reason, deny, quarantine] of cases) {
    const tts = { ...base.threatTypeSettings, ...(action ? { [type]: action } : {}) };
    const d = decide({ enforcementLevel: level, threatTypeSettings: tts, allowedThreats: allowed ? ['X'] : [] }, { name: 'X', threatType: type });
    t.same({ reason: d.reason, deny: d.deny, quarantine: d.quarantine }, { reason, deny, quarantine }, `${level} ${type} ${action ?? 'default'} allowed=${allowed}`);
    t.equal(d.record, reason !== 'type_off');
  }
  t.equal(decide({ enforcementLevel: 'real_time', ...base }, { name: 'Y', threatType: 'virus' }, true).reason, 'allowed_threat', 'the local allow list wins');
});

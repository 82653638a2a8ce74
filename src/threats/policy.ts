// src/threats/policy.ts — the remediation policy as one pure function, shared by real-time
// protection (to decide ALLOW/DENY before answering the kernel) and the threat service (to
// decide quarantine). Owns the rules:
//   - allowedThreats and the local allow list: never blocked, never quarantined (recorded as allowed);
//   - threatTypeSettings per type: off → ignored, audit → reported only, block → block + quarantine;
//     types without a setting (virus, trojan, test) always block;
//   - enforcement: real_time blocks and quarantines; on_demand quarantines (no real-time
//     blocking exists); passive only reports.
import type { Settings } from '../config/settings.js';
import type { ThreatType } from '../engine/types.js';

export interface PolicyDecision {
  /** Record a threat at all. */
  record: boolean;
  /** Deny the real-time access. */
  deny: boolean;
  /** Move the file to quarantine. */
  quarantine: boolean;
  /** Why, for logs and the threat record. */
  reason: 'allowed_threat' | 'type_off' | 'type_audit' | 'passive_mode' | 'blocked';
}

export function decide(
  s: Pick<Settings, 'enforcementLevel' | 'threatTypeSettings' | 'allowedThreats'>,
  d: { name: string; threatType: ThreatType },
  locallyAllowed = false,
): PolicyDecision {
  if (locallyAllowed || s.allowedThreats.includes(d.name)) return { record: true, deny: false, quarantine: false, reason: 'allowed_threat' };
  const action = s.threatTypeSettings[d.threatType] ?? 'block';
  if (action === 'off') return { record: false, deny: false, quarantine: false, reason: 'type_off' };
  if (action === 'audit') return { record: true, deny: false, quarantine: false, reason: 'type_audit' };
  if (s.enforcementLevel === 'passive') return { record: true, deny: false, quarantine: false, reason: 'passive_mode' };
  return { record: true, deny: s.enforcementLevel === 'real_time', quarantine: true, reason: 'blocked' };
}

// src/threats/events.ts — the structured log records of the threat lifecycle, one per
// detection and one per action, with the same stable fields in every record (null when not
// known) so a SIEM pipeline can rely on them (docs/events.md). Detections and actions are
// WARNING (journald priority 4, so `journalctl -p warning` shows all of them, docs/logging.md),
// failures ERROR; only detections of a type set to `off` are VERBOSE.
// Owns event names, fields and levels. Must not: decide anything.
import type { Logger } from '../shared/logger.js';
import type { ThreatRow } from '../store/threats.js';

export const THREAT_EVENTS = [
  'threat_detected',
  'threat_ignored',
  'threat_quarantined',
  'threat_quarantine_failed',
  'threat_restored',
  'threat_removed',
  'threat_action_refused',
  'threat_allowed_added',
  'threat_allowed_removed',
  'threat_policy_changed',
  'quarantine_reconciled',
  'threats_pruned',
  'scan_timeout',
] as const;
export type ThreatEventName = (typeof THREAT_EVENTS)[number];

export type EventResult = 'success' | 'failure' | 'refused';

export interface EventProcess {
  pid: number | null;
  name: string | null;
  executable: string | null;
  uid: number | null;
}

export interface ThreatEvent {
  event: ThreatEventName;
  threatId: string | null;
  threatName: string | null;
  threatType: string | null;
  path: string | null;
  memberPath: string | null;
  sha256: string | null;
  source: string | null;
  process: EventProcess | null;
  /** Detections: uid of the process that touched the file. Actions: uid of the mdatp caller (null for the daemon itself). */
  user: number | null;
  action: string;
  result: EventResult;
  reason: string | null;
}

export type EventExtra = Partial<Omit<ThreatEvent, 'event' | 'action' | 'result'>> & Record<string, unknown>;

export class ThreatEvents {
  constructor(private readonly logger: Logger<'verbose'>) {}

  emit(event: ThreatEventName, action: string, result: EventResult, fields: EventExtra, msg: string, level?: 'warn' | 'error' | 'verbose'): void {
    const rec: ThreatEvent & Record<string, unknown> = {
      threatId: null,
      threatName: null,
      threatType: null,
      path: null,
      memberPath: null,
      sha256: null,
      source: null,
      process: null,
      user: null,
      reason: null,
      ...fields,
      event,
      action,
      result,
    };
    const lvl = level ?? (result === 'failure' ? 'error' : 'warn');
    this.logger[lvl](rec, msg);
  }

  /** The fields of a threat record, for any event about it. */
  static of(t: ThreatRow, user: number | null = null): EventExtra {
    return {
      threatId: t.id,
      threatName: t.name,
      threatType: t.threat_type,
      path: t.path,
      memberPath: t.member_path,
      sha256: t.sha256,
      source: t.source,
      process:
        t.process_pid === null && t.process_uid === null
          ? null
          : { pid: t.process_pid, name: t.process_name, executable: t.process_executable, uid: t.process_uid },
      user,
    };
  }
}

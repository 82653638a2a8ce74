// src/daemon/health.ts — assembles `mdatp health` from what each component reports. Components
// register a provider that returns its fields, its health issues and, per details group
// (`--details definitions|features`), extra fields. Nothing here invents a value: a field no
// component reports is absent. Owns: the field order, `healthy`, and the [managed] marks.
import type { SettingId } from '../config/managed-keys.js';

export type HealthValue = string | number | boolean | null | string[] | Record<string, unknown> | Record<string, unknown>[];

export interface HealthContribution {
  fields?: Record<string, HealthValue>;
  issues?: string[];
  details?: Record<string, Record<string, HealthValue>>;
  /** Which of this provider's fields come from which setting (for the [managed] mark). */
  settingOf?: Record<string, SettingId>;
}

export type HealthProvider = () => HealthContribution;

export interface HealthReport {
  fields: Record<string, HealthValue>;
  /** Field names whose value is set by the managed configuration. */
  managed: string[];
}

/** MDE's order for the fields it has; others follow in registration order. */
const ORDER = [
  'healthy',
  'health_issues',
  'licensed',
  'engine_version',
  'app_version',
  'log_level',
  'machine_guid',
  'definitions_updated',
  'definitions_updated_minutes_ago',
  'definitions_version',
  'definitions_status',
  'real_time_protection_enabled',
  'real_time_protection_available',
  'real_time_protection_subsystem',
  'passive_mode_enabled',
  'enforcement_level',
  'automatic_definition_update_enabled',
  'conflicting_applications',
];

export class HealthRegistry {
  private readonly providers = new Map<string, HealthProvider>();

  constructor(private readonly isManaged: (id: SettingId) => boolean) {}

  register(name: string, provider: HealthProvider): void {
    this.providers.set(name, provider);
  }

  unregister(name: string): void {
    this.providers.delete(name);
  }

  /** The components that report (each stage registers itself and unregisters at stop). */
  names(): string[] {
    return [...this.providers.keys()];
  }

  detailGroups(): string[] {
    const groups = new Set<string>();
    for (const p of this.providers.values()) for (const g of Object.keys(safe(p).details ?? {})) groups.add(g);
    return [...groups].sort();
  }

  report(details?: string): HealthReport {
    const fields: Record<string, HealthValue> = {};
    const issues: string[] = [];
    const managed: string[] = [];
    for (const [name, p] of this.providers) {
      const c = safe(p, name);
      Object.assign(fields, details ? c.details?.[details] ?? {} : c.fields ?? {});
      issues.push(...(c.issues ?? []));
      for (const [field, id] of Object.entries(c.settingOf ?? {})) if (this.isManaged(id)) managed.push(field);
    }
    if (details) return { fields, managed: managed.filter((f) => f in fields) };
    const ordered: Record<string, HealthValue> = { healthy: issues.length === 0, health_issues: issues };
    for (const k of ORDER) if (k in fields) ordered[k] = fields[k]!;
    for (const [k, v] of Object.entries(fields)) if (!(k in ordered)) ordered[k] = v;
    return { fields: ordered, managed };
  }
}

function safe(p: HealthProvider, name = 'provider'): HealthContribution {
  try {
    return p();
  } catch (e) {
    return { issues: [`${name} health is unavailable: ${(e as Error).message}`] };
  }
}

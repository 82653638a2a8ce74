// src/definitions/service-health.ts — the DefinitionsService status as `mdatp health` fields:
// the main fields, health issues, and the `--details definitions` group (shape of
// src/daemon/health.ts HealthContribution, so the daemon registers it as a provider as is).
// Owns: naming and formatting those fields. Must not: compute status (service.ts does).
import type { DefinitionsStatus } from './service.js';

type Value = string | number | boolean | null | string[] | Record<string, unknown> | Record<string, unknown>[];

export interface DefinitionsHealth {
  fields: Record<string, Value>;
  issues: string[];
  details: { definitions: Record<string, Value> };
}

export function definitionsHealth(s: DefinitionsStatus, now = new Date()): DefinitionsHealth {
  const updated = s.definitions_updated;
  const issues = [...s.issues];
  if (s.definitions_status === 'failed' && s.definitions_update_fail_reason) issues.push(`definitions update failed: ${s.definitions_update_fail_reason}`);
  if (s.definitions_status === 'out_of_date') issues.push('definitions are out of date');
  const r = s.report;
  return {
    fields: {
      definitions_updated: updated ? updated.toISOString() : null,
      definitions_updated_minutes_ago: updated ? Math.max(0, Math.floor((now.getTime() - updated.getTime()) / 60_000)) : null,
      definitions_version: s.definitions_version,
      definitions_status: s.definitions_status,
    },
    issues,
    details: {
      definitions: {
        definitions_version: s.definitions_version,
        definitions_status: s.definitions_status,
        definitions_update_source_uri: s.definitions_update_source_uri,
        definitions_update_fail_reason: s.definitions_update_fail_reason,
        offline_definition_url_configured: s.offline_definition_url_configured,
        definitions_generation: s.generation,
        definitions_previous_generation: s.previous_generation,
        definitions_last_update_attempt: s.last_update_attempt ? s.last_update_attempt.toISOString() : null,
        body_matcher: r?.bodyMatcher ?? null,
        body_matcher_reason: r?.bodyMatcherReason ?? null,
        definitions_counts: r ? { ...r.counts } : {},
        definitions_formats: r ? Object.fromEntries(Object.entries(r.formats).map(([k, v]) => [k, { ...v }])) : {},
        definitions_files: r
          ? r.files.map((f) => ({ file: f.file, format: f.format, loaded: f.loaded, skipped: f.skipped, malformed: f.malformed, skip_reasons: { ...f.skipReasons }, errors: [...f.errors] }))
          : [],
        definitions_problems: r ? [...r.problems] : [],
        definitions_malformed: r ? [...r.malformed] : [],
        definitions_load_ms: r?.loadMs ?? null,
      },
    },
  };
}

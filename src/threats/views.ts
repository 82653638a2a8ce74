// src/threats/views.ts — threat and quarantine records as the API and `mdatp ... --output json`
// show them (snake_case, times as ISO 8601). Owns the JSON shape (docs/threats.md).
// Must not: query the database itself.
import type { HistoryRow, ThreatRow } from '../store/threats.js';
import type { QuarantineRow } from '../store/quarantine.js';
import type { AllowedRow } from '../store/allowed.js';

export interface ThreatView {
  id: string;
  name: string;
  type: string;
  status: string;
  path: string;
  member_path: string | null;
  sha256: string | null;
  size: number | null;
  source: string;
  scan_id: string | null;
  engine: string;
  process: { pid: number | null; name: string | null; executable: string | null; uid: number | null } | null;
  detection_time: string;
  last_seen_time: string;
  occurrences: number;
  history?: { status: string; time: string; detail: string | null; uid: number | null }[];
  quarantine?: QuarantineView | null;
}

export interface QuarantineView {
  id: string;
  name: string;
  type: string;
  original_path: string;
  state: string;
  size: number;
  sha256: string;
  mode: string;
  owner_uid: number;
  owner_gid: number;
  quarantined_time: string;
  detection_time: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function threatView(t: ThreatRow, history?: HistoryRow[], q?: QuarantineRow | null): ThreatView {
  const v: ThreatView = {
    id: t.id,
    name: t.name,
    type: t.threat_type,
    status: t.status,
    path: t.path,
    member_path: t.member_path,
    sha256: t.sha256,
    size: t.size,
    source: t.source,
    scan_id: t.scan_id,
    engine: t.engine,
    process: t.process_pid === null && t.process_uid === null ? null : { pid: t.process_pid, name: t.process_name, executable: t.process_executable, uid: t.process_uid },
    detection_time: iso(t.detected_at),
    last_seen_time: iso(t.last_seen_at),
    occurrences: t.occurrences,
  };
  if (history) v.history = history.map((h) => ({ status: h.status, time: iso(h.at), detail: h.detail, uid: h.actor_uid }));
  if (q !== undefined) v.quarantine = q ? quarantineView(q, t) : null;
  return v;
}

export function quarantineView(q: QuarantineRow, t: Pick<ThreatRow, 'name' | 'threat_type' | 'detected_at'>): QuarantineView {
  return {
    id: q.threat_id,
    name: t.name,
    type: t.threat_type,
    original_path: q.original_path,
    state: q.state,
    size: q.size,
    sha256: q.sha256,
    mode: q.mode.toString(8).padStart(4, '0'),
    owner_uid: q.uid,
    owner_gid: q.gid,
    quarantined_time: iso(q.quarantined_at),
    detection_time: iso(t.detected_at),
  };
}

export interface AllowedView {
  names: { name: string; source: 'managed' | 'configuration' | 'local'; added_time: string | null }[];
  hashes: { sha256: string; detail: string | null; added_time: string }[];
}

export function allowedView(configured: string[], configuredManaged: boolean, local: AllowedRow[]): AllowedView {
  const names: AllowedView['names'] = configured.map((name) => ({ name, source: configuredManaged ? 'managed' : 'configuration', added_time: null }));
  for (const r of local) if (r.kind === 'name' && !configured.includes(r.value)) names.push({ name: r.value, source: 'local', added_time: iso(r.created_at) });
  const hashes = local.filter((r) => r.kind === 'sha256').map((r) => ({ sha256: r.value, detail: r.detail, added_time: iso(r.created_at) }));
  return { names, hashes };
}

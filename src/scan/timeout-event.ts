// src/scan/timeout-event.ts — the `scan_timeout` record (docs/events.md): a file whose YARA
// scan ended at its time limit, so only the other engines (EICAR, hashes, body signatures)
// judged it and it was allowed. Emitted once per scan that timed out (real-time, after-write,
// on-demand), never for a cached verdict, through the threat events' logger, with the same
// stable fields as every threat event so a SIEM selects it the same way.
// Owns: the record's fields and level. Must not: count (the engine does) or decide anything.
import type { EventProcess, ThreatEvents } from '../threats/events.js';
import type { ScanContext } from '../engine/types.js';

export interface ScanTimeoutReport {
  path: string;
  source: ScanContext['origin'];
  limitMs: number;
  scanId?: string | null;
  process?: EventProcess | null;
  /** uid of the process that touched the file (real-time), or of the scan's requester. */
  user?: number | null;
}

export function emitScanTimeout(events: ThreatEvents, r: ScanTimeoutReport): void {
  events.emit(
    'scan_timeout',
    'scan',
    'failure',
    {
      path: r.path,
      source: r.source,
      process: r.process ?? null,
      user: r.user ?? null,
      reason: `YARA rules did not finish within ${r.limitMs} ms; the file was judged by the other engines only`,
      engine: 'yara',
      limitMs: r.limitMs,
      scanId: r.scanId ?? null,
    },
    `scan time limit reached (${r.limitMs} ms): ${r.path} allowed without a complete YARA scan`,
    'warn',
  );
}

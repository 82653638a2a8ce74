// src/rtp/types.ts — the RtpBackend interface both real-time backends implement (fanotify:
// blocking, before the open completes; chokidar: after writes settle) and the status they
// report for `mdatp health`. Owns only types.
import type { HealthValue } from '../daemon/health.js';

export type RtpSubsystem = 'fanotify' | 'inotify' | 'unavailable';

export interface RtpBackendStatus {
  /** Monitoring right now (enforcement real_time and the backend running). */
  active: boolean;
  /** Problems that make protection incomplete (health issues). */
  issues: string[];
  /** Extra fields for `mdatp health --details features`. */
  features: Record<string, HealthValue>;
}

export interface RtpBackend {
  readonly subsystem: RtpSubsystem;
  /** Starts or stops monitoring (enforcement level changes at run time). */
  setEnabled(on: boolean): Promise<void>;
  /** Drops every cached clean verdict (kernel ignore marks, verdict cache). */
  flush(reason: string): void;
  /** Settings that change how the backend monitors (mount policy, deadlines). */
  reconfigure(): void;
  status(): RtpBackendStatus;
  /** Stops monitoring for good (shutdown). */
  stop(): Promise<void>;
}

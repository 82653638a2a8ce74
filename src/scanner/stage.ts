// src/scanner/stage.ts — the 'scanner' daemon stage (after 'store', before 'definitions'):
// starts wdav-scanner, the unprivileged process where YARA rules are compiled and files are
// YARA-scanned (docs/scanner.md), and reports it in health: `mdatp health --details features`
// shows its pid, user, state, threads, restarts and last crash; a crash in the last ten minutes
// and a scanner that is not running are health issues. It stops last but one (before the
// store), and at the first SIGTERM (src/daemon/main.ts) so no YARA work delays a shutdown.
// Owns: wiring only. Must not: scan or decide verdicts.
import os from 'node:os';
import type { Started } from '../daemon/lifecycle.js';
import type { Core, Scanner } from '../daemon/services.js';
import { testHooksEnabled } from '../rtp/test-hooks.js';
import { scannerLink } from './link.js';
import { ScannerProcess } from './process.js';
import { scannerIdentity, type ScannerIdentity } from './identity.js';
import { StageHooks } from '../daemon/stage-hooks.js';

/** How long a crash stays a health issue. */
export const CRASH_ISSUE_MS = 10 * 60_000;

/** Scan threads per content socket and in the YARA pool (real-time may use all of the pool's, on-demand half). */
export function scannerThreads(): number {
  return Math.max(2, Math.min(8, os.availableParallelism()));
}

function registerHealth(hooks: StageHooks, scanner: ScannerProcess, who: ScannerIdentity): void {
  hooks.health('scanner', () => {
    const h = scanner.health();
    const issues: string[] = [];
    if (h.state !== 'running') issues.push(`the scanner process is ${h.state}: YARA scans fail until it is back`);
    if (h.lastCrash && Date.now() - Date.parse(h.lastCrash.at) < CRASH_ISSUE_MS) {
      const c = h.lastCrash;
      issues.push(`${c.file ? `scanner crashed on ${c.file}` : 'scanner crashed'} at ${c.at} (${c.reason === 'stuck' ? 'no answer in time' : c.reason === 'protocol' ? 'broke the protocol' : (c.signal ?? `exit code ${c.exitCode}`)})`);
    }
    return {
      issues,
      settingOf: {},
      details: {
        features: {
          scanner: {
            pid: h.pid,
            user: who.user,
            uid: h.uid,
            state: h.state,
            threads: h.threads,
            restarts: h.restarts,
            in_flight: h.inFlight,
            queued: h.queued,
            last_crash: h.lastCrash ? { ...h.lastCrash } : null,
          },
        },
      },
    };
  });
}

export async function startScanner(s: Core): Promise<Started<Scanner>> {
  const logger = s.logs.child('scanner');
  const who = scannerIdentity(s.options.scannerUser);
  if (who.fallback) logger.warn({ user: who.user, uid: who.uid }, who.fallback);
  const scanner = new ScannerProcess({ uid: who.uid, gid: who.gid, link: scannerLink(s.native), logger, threads: scannerThreads(), testHooks: testHooksEnabled() });
  await scanner.start();
  const hooks = new StageHooks(s);
  registerHealth(hooks, scanner, who);
  hooks.diagnostic('scanner.json', () => ({ ...scanner.health(), user: who.user }));
  return {
    service: { process: scanner, identity: who },
    async stop() {
      hooks.remove();
      await scanner.stop();
    },
  };
}

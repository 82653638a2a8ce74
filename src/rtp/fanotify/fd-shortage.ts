// src/rtp/fanotify/fd-shortage.ts — what the JS side makes of the native reader running out of
// file descriptors (docs/fanotify-core.md): a warning when its counters grew since the last
// look (the caller looks every few seconds, so this is rate-limited by construction), and a
// health issue while the reader is short and for a while after its last answer without a scan.
// Owns: the last counter values it saw. Must not: touch the group or decide answers.
import { WdavError } from '../../shared/errors.js';
import type { FanotifyStats } from './native.js';

/** How long a shortage stays a health issue after its last event answered without a scan. */
export const ISSUE_MS = 60_000;

type Counts = { noFds: number; readNoFds: number; closeWriteNoFds: number };

function counts(st: FanotifyStats): Counts {
  return { noFds: st.answeredNatively.noFds, readNoFds: st.reader.readNoFds, closeWriteNoFds: st.closeWrite.noFds };
}

export class FdShortage {
  private last: Counts = { noFds: 0, readNoFds: 0, closeWriteNoFds: 0 };
  private lastGrowth = -Infinity;

  constructor(private readonly defaultResponse: () => 'allow' | 'deny', private readonly now: () => number = Date.now) {}

  reset(): void {
    this.last = { noFds: 0, readNoFds: 0, closeWriteNoFds: 0 };
    this.lastGrowth = -Infinity;
  }

  /** The counters' growth since the last call, as a coded error to log; null when none grew. */
  check(st: FanotifyStats): WdavError | null {
    const now = counts(st);
    const grew = { noFds: now.noFds - this.last.noFds, readNoFds: now.readNoFds - this.last.readNoFds, closeWriteNoFds: now.closeWriteNoFds - this.last.closeWriteNoFds };
    this.last = now;
    if (grew.noFds <= 0 && grew.readNoFds <= 0 && grew.closeWriteNoFds <= 0) return null;
    this.lastGrowth = this.now();
    return new WdavError(
      'WDAV_ERR_OUT_OF_FDS',
      `real-time protection ran out of file descriptors: ${grew.noFds} events answered with the default response (${this.defaultResponse()}) without a scan, ${grew.readNoFds} denied by the kernel, ${grew.closeWriteNoFds} after-write scans dropped`,
      { ...grew, shortOfFds: st.reader.shortOfFds === 1 },
    );
  }

  /** The health issue: while short of fds, with growth check() has not seen yet, or within ISSUE_MS of the last. */
  issue(st: FanotifyStats): string | null {
    const c = counts(st);
    const unseen = c.noFds > this.last.noFds || c.readNoFds > this.last.readNoFds || c.closeWriteNoFds > this.last.closeWriteNoFds;
    if (st.reader.shortOfFds !== 1 && !unseen && this.now() - this.lastGrowth > ISSUE_MS) return null;
    return `real-time protection is short of file descriptors: ${st.answeredNatively.noFds} events were answered with the default response (${this.defaultResponse()}) without a scan; raise the daemon's open-file limit (LimitNOFILE) or find what holds its descriptors`;
  }
}

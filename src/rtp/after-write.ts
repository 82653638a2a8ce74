// src/rtp/after-write.ts — after-write scanning (issue 5, item 4): a file closed after writing
// (FAN_CLOSE_WRITE, or chokidar's settled add/change) is scanned in the background so a freshly
// written malicious file is found and remediated before anyone opens it, and a clean verdict is
// already cached when the first open comes. Cheaper than the permission path on purpose: at
// most `concurrency` scans at once, through the queue's on-demand lane (below permission
// events); repeated writes of one inode coalesce (a write during its scan schedules one more
// scan afterwards). Bounded: beyond `capacity` waiting files a job is dropped and counted —
// safe, because the write already cleared the file's ignore mark, so its next open is scanned.
// Ownership: every job's fd (when it has one) is closed here exactly once.
// Must not: answer the kernel or decide policy (the handler does).
import fs from 'node:fs';

export interface WriteJob {
  /** Coalescing key: the inode (dev:ino). */
  key: string;
  /** An open fd of the file (fanotify), or undefined: the handler opens `path` itself (chokidar). */
  fd?: number;
  path: Buffer;
  pid: number | null;
}

export interface AfterWriteStats {
  scheduled: number;
  coalesced: number;
  dropped: number;
  completed: number;
  failed: number;
  waiting: number;
  running: number;
  capacity: number;
}

type Handler = (job: WriteJob) => Promise<void>;

function closeJob(j: WriteJob): void {
  if (j.fd === undefined) return;
  try {
    fs.closeSync(j.fd);
  } catch {
    // already closed: nothing to release
  }
}

export class AfterWriteScheduler {
  private readonly waiting = new Map<string, WriteJob>();
  /** Inodes being scanned → the job to run again afterwards (a write during the scan). */
  private readonly running = new Map<string, WriteJob | null>();
  private readonly counts = { scheduled: 0, coalesced: 0, dropped: 0, completed: 0, failed: 0 };
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handler: Handler,
    private readonly capacity = 1024,
    private readonly concurrency = 2,
    private readonly onError: (job: WriteJob, e: unknown) => void = () => {},
  ) {}

  submit(job: WriteJob): void {
    if (this.stopped) return closeJob(job);
    this.counts.scheduled++;
    if (this.running.has(job.key)) {
      const prev = this.running.get(job.key);
      if (prev) {
        closeJob(prev);
        this.counts.coalesced++;
      }
      this.running.set(job.key, job);
      return;
    }
    const prev = this.waiting.get(job.key);
    if (prev) {
      // Same inode: the newer fd sees the same (latest) content; keep one.
      closeJob(prev);
      this.counts.coalesced++;
      this.waiting.set(job.key, job);
      return;
    }
    if (this.waiting.size >= this.capacity) {
      this.counts.dropped++;
      return closeJob(job);
    }
    this.waiting.set(job.key, job);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.waiting.size > 0) {
      const [key, job] = this.waiting.entries().next().value as [string, WriteJob];
      this.waiting.delete(key);
      this.running.set(key, null);
      void this.run(job);
    }
    if (this.running.size === 0 && this.waiting.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private async run(job: WriteJob): Promise<void> {
    try {
      await this.handler(job);
      this.counts.completed++;
    } catch (e) {
      this.counts.failed++;
      this.onError(job, e);
    } finally {
      closeJob(job);
      const again = this.running.get(job.key);
      this.running.delete(job.key);
      if (again) {
        if (this.stopped) closeJob(again);
        else this.waiting.set(job.key, again);
      }
      this.pump();
    }
  }

  /** Drops waiting jobs (closing their fds); running ones finish. */
  stop(): void {
    this.stopped = true;
    for (const j of this.waiting.values()) closeJob(j);
    this.waiting.clear();
    for (const [k, j] of this.running) {
      if (j) closeJob(j);
      this.running.set(k, null);
    }
  }

  /** Resolves when nothing waits or runs. */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stats(): AfterWriteStats {
    return { ...this.counts, waiting: this.waiting.size, running: this.running.size, capacity: this.capacity };
  }
}

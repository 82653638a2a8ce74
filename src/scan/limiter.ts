// src/scan/limiter.ts — on-demand admission, across all scans: how many batches are being read
// at once (slots: maximumOnDemandScanThreads × the batches each lane holds, set by the manager)
// and how many finished batches are still in their JavaScript part (tails: records, archive
// walks, detections — memory; at most as many as there are slots). The one owner of both: a
// scan job asks here before it hands a batch to the queue; the queue then only orders the work
// (real time first), and the engine's lanes only pick a thread. A counting semaphore with a
// synchronous fast path, so a scan does not pay a promise per batch while there is room;
// waiters are bounded by the number of running scans (each waits for one thing at a time).
// Owns only the counts.

export class Limiter {
  private used = 0;
  private waiters: (() => void)[] = [];
  private tailCount = 0;
  private tailWaiters: (() => void)[] = [];

  constructor(private max: number) {}

  get limit(): number {
    return this.max;
  }

  get inUse(): number {
    return this.used;
  }

  /** Batches whose JavaScript part is still running. */
  get tails(): number {
    return this.tailCount;
  }

  /** Resolves once fewer tails than the limit run (null: there is room now). */
  tailRoom(): Promise<void> | null {
    if (this.tailCount < this.max) return null;
    return new Promise<void>((resolve) => this.tailWaiters.push(resolve));
  }

  /** A batch's JavaScript part starts (counted until leaveTail). */
  enterTail(): void {
    this.tailCount++;
  }

  leaveTail(): void {
    this.tailCount--;
    // All of them: each looks again (tailRoom), and one that finds no room waits anew.
    const w = this.tailWaiters;
    this.tailWaiters = [];
    for (const f of w) f();
  }

  /** Changes the limit; raising it wakes waiters at once. */
  setLimit(n: number): void {
    this.max = Math.max(1, Math.floor(n));
    this.wake();
    if (this.tailCount < this.max) {
      const w = this.tailWaiters;
      this.tailWaiters = [];
      for (const f of w) f();
    }
  }

  tryAcquire(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  /** Waits for a slot; rejects with the signal's reason when aborted first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  release(): void {
    this.used--;
    this.wake();
  }

  private wake(): void {
    while (this.used < this.max && this.waiters.length > 0) {
      this.used++;
      this.waiters.shift()!();
    }
  }
}

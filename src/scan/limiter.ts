// src/scan/limiter.ts — how many on-demand file scans run at once across all scans
// (maximumOnDemandScanThreads). A counting semaphore with a synchronous fast path, so a scan
// does not pay a promise per file while there is room; waiters are bounded by the number of
// running scans (each waits for at most one slot at a time). Owns only the count.

export class Limiter {
  private used = 0;
  private waiters: (() => void)[] = [];

  constructor(private max: number) {}

  get limit(): number {
    return this.max;
  }

  get inUse(): number {
    return this.used;
  }

  /** Changes the limit; raising it wakes waiters at once. */
  setLimit(n: number): void {
    this.max = Math.max(1, Math.floor(n));
    this.wake();
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

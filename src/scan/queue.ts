// src/scan/queue.ts — the one bounded scan queue shared by real-time protection and on-demand
// scans (ARCHITECTURE §3.4). Real-time work runs before on-demand work. Policies when full:
// real-time `tryAdd` is refused at once (the caller answers with the configured default
// response and it is counted); on-demand `add` waits for room and may use at most half the
// capacity, so a full scan can never crowd real-time events out. Measured: depth, max depth,
// full count, oldest waiting age, completed. Owns admission and ordering; must not know what a
// task does.
import PQueue from 'p-queue';

export type Lane = 'real_time' | 'on_demand';

export interface QueueStats {
  capacity: number;
  concurrency: number;
  depth: number;
  running: number;
  maxDepth: number;
  fullCount: number;
  oldestWaitingMs: number;
  completed: number;
  failed: number;
  byLane: Record<Lane, { waiting: number; enqueued: number }>;
}

export class QueueFullError extends Error {
  readonly code = 'WDAV_ERR_BUSY';
  constructor() {
    super('scan queue is full');
    this.name = 'QueueFullError';
  }
}

const PRIORITY: Record<Lane, number> = { real_time: 10, on_demand: 0 };

export class ScanQueue {
  private readonly q: PQueue;
  private readonly waiting = new Set<{ at: number; lane: Lane }>();
  private maxDepth = 0;
  private fullCount = 0;
  private completedCount = 0;
  private failedCount = 0;
  private readonly enqueued: Record<Lane, number> = { real_time: 0, on_demand: 0 };
  private readonly waitingByLane: Record<Lane, number> = { real_time: 0, on_demand: 0 };
  // Bounded by the number of concurrent on-demand producers (scan threads), not by work items.
  private roomWaiters: (() => void)[] = [];

  constructor(
    private cap: number,
    concurrency: number,
  ) {
    this.q = new PQueue({ concurrency });
    // 'next' fires after p-queue has counted a finished task, so depth is already lower.
    this.q.on('next', () => this.wakeWaiters());
  }

  get capacity(): number {
    return this.cap;
  }

  /** Applies wdavdaemon.scanQueueCapacity; work already queued beyond a smaller capacity stays. */
  setCapacity(n: number): void {
    this.cap = n;
    this.wakeWaiters();
  }

  get depth(): number {
    return this.q.size + this.q.pending;
  }

  get completed(): number {
    return this.completedCount + this.failedCount;
  }

  setConcurrency(n: number): void {
    this.q.concurrency = n;
  }

  /** Real-time lane: refused with QueueFullError when there is no room. */
  tryAdd<T>(task: () => Promise<T>): Promise<T> {
    if (this.depth >= this.capacity) {
      this.fullCount++;
      return Promise.reject(new QueueFullError());
    }
    return this.enqueue('real_time', task);
  }

  /** On-demand lane: waits for room (at most half the capacity is used by this lane). */
  async add<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const limit = Math.max(1, Math.floor(this.capacity / 2));
    while (this.depth >= limit) {
      signal?.throwIfAborted();
      await this.waitForRoom(signal);
    }
    signal?.throwIfAborted();
    return this.enqueue('on_demand', task);
  }

  private waitForRoom(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.roomWaiters.indexOf(wake);
        if (i >= 0) this.roomWaiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.roomWaiters.push(wake);
    });
  }

  private wakeWaiters(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  private enqueue<T>(lane: Lane, task: () => Promise<T>): Promise<T> {
    const entry = { at: Date.now(), lane };
    this.waiting.add(entry);
    this.waitingByLane[lane]++;
    this.enqueued[lane]++;
    const p = this.q.add(
      async () => {
        this.waiting.delete(entry);
        this.waitingByLane[lane]--;
        try {
          const r = await task();
          this.completedCount++;
          return r;
        } catch (e) {
          this.failedCount++;
          throw e;
        }
      },
      { priority: PRIORITY[lane] },
    ) as Promise<T>;
    if (this.depth > this.maxDepth) this.maxDepth = this.depth;
    return p;
  }

  /** Resolves when nothing is waiting or running. */
  onIdle(): Promise<void> {
    return this.q.onIdle();
  }

  /** Drops waiting work (shutdown). Running tasks finish. */
  clear(): void {
    this.q.clear();
    this.wakeWaiters();
    this.waiting.clear();
    this.waitingByLane.real_time = 0;
    this.waitingByLane.on_demand = 0;
  }

  stats(): QueueStats {
    const first = this.waiting.values().next().value;
    return {
      capacity: this.capacity,
      concurrency: this.q.concurrency,
      depth: this.depth,
      running: this.q.pending,
      maxDepth: this.maxDepth,
      fullCount: this.fullCount,
      oldestWaitingMs: first ? Date.now() - first.at : 0,
      completed: this.completedCount,
      failed: this.failedCount,
      byLane: {
        real_time: { waiting: this.waitingByLane.real_time, enqueued: this.enqueued.real_time },
        on_demand: { waiting: this.waitingByLane.on_demand, enqueued: this.enqueued.on_demand },
      },
    };
  }
}

// src/threats/keyed-mutex.ts — serializes operations per key (a threat id, a file path), so
// two concurrent requests on one threat run one after the other and the second sees the
// first's result (no double restore, no double removal). Owns only the waiting. A key's
// entry is dropped when nothing waits on it, so the map is bounded by the work in flight.

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with an operation running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  /** Resolves when everything started so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}

// src/daemon/lifecycle.ts — ordered startup and shutdown of the stages createDaemon
// (src/daemon/create.ts) runs. A stage is a factory that builds one component from typed
// dependencies and returns it with its own stop and reload; each is logged with its duration.
// A failed stage stops the ones already started (in reverse) and the error reaches the caller.
// Shutdown runs the stages' stop in reverse order, each bounded in time, so SIGTERM always ends
// in a bounded time. Owns ordering and timing only.
import type { Logger } from '../shared/logger.js';
import { errorMessage } from '../shared/errors.js';

/** What a stage factory returns: its component, and how to stop and reload it. */
export interface Started<T> {
  service: T;
  /** Removes the stage's listeners and releases what it holds. */
  stop?(): Promise<void> | void;
  /** SIGHUP. */
  reload?(): Promise<void> | void;
}

export const STAGE_STOP_TIMEOUT_MS = 10_000;

interface Running {
  name: string;
  stop?(): Promise<void> | void;
  reload?(): Promise<void> | void;
}

/** Reports startup progress (systemd STATUS=); the composition root passes the Notifier. */
export interface StageStatus {
  status(text: string): void;
  stopping(): void;
}

export class Lifecycle {
  private readonly started: Running[] = [];
  private stopping: Promise<void> | null = null;
  /** The stage whose stop is running now (for the shutdown deadline's log). */
  private stoppingStage: string | null = null;

  constructor(
    private readonly logger: Logger<'verbose'>,
    private readonly notifier: StageStatus | null = null,
    private readonly abort: AbortSignal | null = null,
  ) {}

  /** Starts one stage; on failure nothing of it is registered and the error propagates. */
  async run<T>(name: string, factory: () => Promise<Started<T>> | Started<T>): Promise<T> {
    if (this.abort?.aborted) throw new Error(`startup stopped before ${name}: the daemon was asked to stop`);
    const t0 = process.hrtime.bigint();
    this.notifier?.status(`Starting: ${name}`);
    this.logger.info({ stage: name }, `starting ${name}`);
    let s: Started<T>;
    try {
      s = await factory();
    } catch (e) {
      this.logger.fatal({ stage: name, err: errorMessage(e), code: (e as { code?: string }).code, stack: (e as Error)?.stack }, `startup failed at stage ${name}`);
      throw e;
    }
    this.started.push({ name, stop: s.stop, reload: s.reload });
    this.logger.info({ stage: name, ms: Number((process.hrtime.bigint() - t0) / 1_000_000n) }, `${name} ready`);
    return s.service;
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    this.notifier?.stopping();
    while (this.started.length > 0) {
      const stage = this.started.pop()!;
      if (!stage.stop) continue;
      this.stoppingStage = stage.name;
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve(stage.stop()),
          new Promise((_, rej) => {
            timer = setTimeout(() => rej(new Error(`did not stop within ${STAGE_STOP_TIMEOUT_MS} ms`)), STAGE_STOP_TIMEOUT_MS);
          }),
        ]);
        this.logger.info({ stage: stage.name, ms: Date.now() - t0 }, `${stage.name} stopped`);
      } catch (e) {
        this.logger.error({ stage: stage.name, err: errorMessage(e), stack: (e as Error)?.stack }, `stopping ${stage.name} failed; continuing shutdown`);
      } finally {
        clearTimeout(timer);
      }
    }
    this.stoppingStage = null;
  }

  /** What a shutdown still has to do: the stage stopping now and those after it. */
  pending(): { stopping: string | null; left: string[] } {
    return { stopping: this.stoppingStage, left: this.started.map((s) => s.name).reverse() };
  }

  async reload(): Promise<void> {
    this.logger.info('reloading configuration and custom definitions (SIGHUP)');
    for (const stage of this.started) {
      if (!stage.reload) continue;
      try {
        await stage.reload();
      } catch (e) {
        this.logger.error({ stage: stage.name, err: errorMessage(e), stack: (e as Error)?.stack }, `reload of ${stage.name} failed`);
      }
    }
  }
}

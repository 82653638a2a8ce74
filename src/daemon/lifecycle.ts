// src/daemon/lifecycle.ts — ordered startup and shutdown. Stages start in order, each logged
// with its duration; a failed stage stops the ones already started (in reverse) and the
// daemon exits non-zero with the reason. Shutdown runs the stages' stop in reverse order, each
// bounded in time, so SIGTERM always ends in a bounded time. Owns ordering and timing only.
import type { Logger } from '../shared/logger.js';
import { errorMessage } from '../shared/errors.js';
import type { Notifier } from './notify.js';
import type { Services } from './services.js';

export interface Stage {
  name: string;
  start(s: Services): Promise<void> | void;
  stop?(s: Services): Promise<void> | void;
  /** SIGHUP. */
  reload?(s: Services): Promise<void> | void;
}

export const STAGE_STOP_TIMEOUT_MS = 10_000;

export class Daemon {
  private readonly started: Stage[] = [];
  private stopping: Promise<void> | null = null;
  /** The stage whose stop is running now (for the shutdown deadline's log). */
  private stoppingStage: string | null = null;

  constructor(
    readonly s: Services,
    private readonly stages: Stage[],
    private readonly notifier: Notifier,
    private readonly logger: Logger<'verbose'>,
  ) {}

  async start(): Promise<void> {
    for (const stage of this.stages) {
      const t0 = process.hrtime.bigint();
      this.notifier.status(`Starting: ${stage.name}`);
      this.logger.info({ stage: stage.name }, `starting ${stage.name}`);
      try {
        await stage.start(this.s);
      } catch (e) {
        this.logger.fatal({ stage: stage.name, err: errorMessage(e), code: (e as { code?: string }).code }, `startup failed at stage ${stage.name}`);
        await this.stop(`startup failed at ${stage.name}`);
        throw e;
      }
      this.started.push(stage);
      this.logger.info({ stage: stage.name, ms: Number((process.hrtime.bigint() - t0) / 1_000_000n) }, `${stage.name} ready`);
    }
    this.notifier.ready('Protection active');
    this.notifier.startWatchdog(this.s.queue);
    this.logger.info({ socket: this.s.options.socket }, 'wdavdaemon is ready');
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    this.notifier.stopping();
    while (this.started.length > 0) {
      const stage = this.started.pop()!;
      if (!stage.stop) continue;
      this.stoppingStage = stage.name;
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve(stage.stop(this.s)),
          new Promise((_, rej) => {
            timer = setTimeout(() => rej(new Error(`did not stop within ${STAGE_STOP_TIMEOUT_MS} ms`)), STAGE_STOP_TIMEOUT_MS);
          }),
        ]);
        this.logger.info({ stage: stage.name, ms: Date.now() - t0 }, `${stage.name} stopped`);
      } catch (e) {
        this.logger.error({ stage: stage.name, err: errorMessage(e) }, `stopping ${stage.name} failed; continuing shutdown`);
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
        await stage.reload(this.s);
      } catch (e) {
        this.logger.error({ stage: stage.name, err: errorMessage(e) }, `reload of ${stage.name} failed`);
      }
    }
  }
}

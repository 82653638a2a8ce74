// src/daemon/notify.ts — systemd notification through the native addon (sendto on
// $NOTIFY_SOCKET, abstract names included): READY=1 once everything is up, STATUS=...,
// STOPPING=1, and WATCHDOG=1 only while the scan queue makes progress. Without NOTIFY_SOCKET
// every call is a no-op. Owns the watchdog timer. Must not: decide readiness.
import type { Logger } from '../shared/logger.js';
import type { NativeBinding } from '../shared/native.js';

export interface ProgressSource {
  readonly depth: number;
  readonly completed: number;
}

export class Notifier {
  private readonly socket: string | null;
  private timer: NodeJS.Timeout | null = null;
  private lastCompleted = -1;
  private stalledTicks = 0;

  constructor(
    private readonly native: Pick<NativeBinding, 'sdNotify'>,
    private readonly logger: Logger<'verbose'>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.socket = env.NOTIFY_SOCKET || null;
  }

  get enabled(): boolean {
    return this.socket !== null;
  }

  send(state: string): void {
    if (!this.socket) return;
    try {
      this.native.sdNotify(this.socket, state);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, state: state.split('\n')[0] }, 'sd_notify failed');
    }
  }

  ready(status: string): void {
    this.send(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`);
  }

  status(status: string): void {
    this.send(`STATUS=${status}`);
  }

  stopping(): void {
    this.stopWatchdog();
    this.send('STOPPING=1\nSTATUS=Stopping');
  }

  /** Starts pinging at half of WATCHDOG_USEC while the queue is idle or completing work. */
  startWatchdog(queue: ProgressSource): void {
    const usec = Number(this.env.WATCHDOG_USEC);
    const pid = this.env.WATCHDOG_PID ? Number(this.env.WATCHDOG_PID) : process.pid;
    if (!this.socket || !Number.isFinite(usec) || usec <= 0 || pid !== process.pid) return;
    const interval = Math.max(50, Math.floor(usec / 2000));
    this.timer = setInterval(() => {
      const progressing = queue.depth === 0 || queue.completed !== this.lastCompleted;
      this.lastCompleted = queue.completed;
      if (progressing) {
        this.stalledTicks = 0;
        this.send('WATCHDOG=1');
      } else if (++this.stalledTicks === 1) {
        this.logger.error({ depth: queue.depth }, 'scan queue made no progress: withholding the watchdog ping so systemd can restart the daemon');
      }
    }, interval);
    this.timer.unref();
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

// src/shared/logger.ts — the logger factory: pino JSON lines on stdout, one child per component,
// a level that changes at runtime for every child, and rate limiting for repeated errors.
// Under systemd (JOURNAL_STREAM set) each line starts with a syslog priority prefix `<N>` so
// journald records real priorities (docs/logging.md). Must not: decide what is logged.
import pino, { type Logger, type DestinationStream } from 'pino';

/** MDE's levels (mdatp log level set --level ...), most severe first. */
export const LOG_LEVELS = ['error', 'warning', 'info', 'verbose', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PINO_LEVEL: Record<LogLevel, string> = {
  error: 'error',
  warning: 'warn',
  info: 'info',
  verbose: 'verbose',
  debug: 'debug',
};

// pino numeric level -> syslog priority (RFC 5424): fatal=crit, error=err, warn=warning,
// info=info... verbose and debug are both debug.
function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}

export interface LoggerFactoryOptions {
  level?: LogLevel;
  /** Prefix lines with `<N>`; default: when JOURNAL_STREAM is set or WDAV_LOG_PRIORITY_PREFIX=1. */
  priorityPrefix?: boolean;
  destination?: DestinationStream;
}

export class LoggerFactory {
  readonly root: Logger<'verbose'>;
  private readonly children = new Map<string, Logger<'verbose'>>();
  private current: LogLevel;

  constructor(opts: LoggerFactoryOptions = {}) {
    this.current = opts.level ?? 'info';
    const prefix = opts.priorityPrefix ?? (Boolean(process.env.JOURNAL_STREAM) || process.env.WDAV_LOG_PRIORITY_PREFIX === '1');
    const base = opts.destination ?? pino.destination({ fd: 1, sync: true });
    const dest: DestinationStream = prefix
      ? {
          write(line: string) {
            const m = /^\{"level":(\d+)/.exec(line);
            base.write(`<${syslogPriority(m ? Number(m[1]) : 30)}>${line}`);
          },
        }
      : base;
    this.root = pino<'verbose'>(
      {
        level: PINO_LEVEL[this.current],
        customLevels: { verbose: 25 },
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        messageKey: 'msg',
      },
      dest,
    );
  }

  child(component: string): Logger<'verbose'> {
    let c = this.children.get(component);
    if (!c) {
      c = this.root.child({ component });
      this.children.set(component, c);
    }
    return c;
  }

  get level(): LogLevel {
    return this.current;
  }

  setLevel(level: LogLevel): void {
    this.current = level;
    this.root.level = PINO_LEVEL[level];
    for (const c of this.children.values()) c.level = PINO_LEVEL[level];
  }
}

/**
 * Logs the first occurrence of a repeated condition at once, then at most one record per
 * interval per key, carrying how many were dropped in between (`dropped`).
 */
export class RateLimitedLog {
  private readonly state = new Map<string, { last: number; dropped: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly maxKeys = 1024,
  ) {}

  log(logger: Logger<'verbose'>, level: 'error' | 'warn' | 'info', key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const s = this.state.get(key);
    if (s && now - s.last < this.intervalMs) {
      s.dropped++;
      return;
    }
    if (!s && this.state.size >= this.maxKeys) {
      // Bounded: forget the oldest key rather than growing without limit.
      const first = this.state.keys().next().value;
      if (first !== undefined) this.state.delete(first);
    }
    const dropped = s?.dropped ?? 0;
    this.state.set(key, { last: now, dropped: 0 });
    logger[level](dropped > 0 ? { ...obj, dropped } : obj, msg);
  }
}

export type { Logger };

// src/daemon/main.ts — the wdavdaemon entry point: options, logger, services, signals.
// SIGTERM/SIGINT stop in order within a bounded time and exit 0; SIGHUP reloads; a second
// signal during shutdown forces exit. At the first signal, scan work nobody waits for any more
// stops at once (YARA scans end at libyara's next check), and two deadlines bound the rest: the
// JS one logs what was still running and exits; a native thread's _exit a little later covers a
// JS thread that is blocked or an exit that hangs. Owns process-level handling only.
import { InvalidArgumentError, CommanderError } from 'commander';
import { parseDaemonOptions, type DaemonOptions } from './options.js';
import { LoggerFactory } from '../shared/logger.js';
import { loadNative } from '../shared/native.js';
import { Notifier } from './notify.js';
import { createDaemon, type RunningDaemon } from './create.js';
import { errorMessage } from '../shared/errors.js';
import { yaraBinding } from '../engine/yara/binding.js';

/** Upper bound for a whole shutdown; past it the process exits anyway (TimeoutStopSec is 45 s). */
const SHUTDOWN_DEADLINE_MS = 30_000;
/** The last resort: a native thread's _exit, should the JS deadline itself not get to run. */
const HARD_EXIT_MS = SHUTDOWN_DEADLINE_MS + 5_000;

function parseOrExit(): DaemonOptions {
  try {
    return parseDaemonOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    if (e instanceof InvalidArgumentError) {
      process.stderr.write(`wdavdaemon: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const options = parseOrExit();
  // Whatever umask the daemon was started with, what it creates is never writable by group or
  // others: its own trust check (src/shared/trust.ts) would refuse it at the next start.
  process.umask(process.umask() | 0o022);
  const logs = new LoggerFactory({ level: options.logLevel ?? 'info' });
  const logger = logs.child('daemon');
  const native = loadNative();
  const notifier = new Notifier(native, logs.child('systemd'));
  // Set once startup is through. A signal before that stops startup after the stage that is
  // running, and what started is stopped in reverse (createDaemon's failure path).
  let daemon: RunningDaemon | null = null;
  const startup = new AbortController();

  let exiting = false;
  const shutdown = (signal: string) => {
    if (exiting) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    exiting = true;
    try {
      native.armExitWatchdog?.(HARD_EXIT_MS, 1);
    } catch (e) {
      logger.warn({ err: e }, 'cannot arm the native exit watchdog; the JS shutdown deadline still holds');
    }
    const yara = yaraBinding(native);
    const stopped = yara?.yaraShutdown() ?? 0;
    if (stopped > 0) logger.info({ scans: stopped }, 'YARA scans stopped for the shutdown');
    const d = daemon;
    const force = setTimeout(() => {
      logger.error(
        { ms: SHUTDOWN_DEADLINE_MS, ...(d?.pending() ?? { during: 'startup' }), yaraScans: yara?.yaraStats().runningJobs ?? [], queue: d?.services.queue.stats() },
        'shutdown did not finish in time: exiting',
      );
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    if (!d) {
      logger.info({ signal }, 'signal during startup: stopping after the current stage');
      startup.abort();
      return;
    }
    // YARA work in the scanner process ends with it: scans waiting on it fail at once.
    const scanner = d.services.scanner.process;
    const scans = scanner.health().inFlight;
    void scanner.stop().then(() => scans > 0 && logger.info({ scans }, 'scanner process stopped for the shutdown'));
    d.stop(`signal ${signal}`).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (e) => {
        logger.error({ err: errorMessage(e) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => void daemon?.reload());
  process.on('uncaughtException', (e) => {
    logger.fatal({ err: errorMessage(e), stack: e.stack }, 'uncaught exception: stopping');
    if (!exiting) shutdown('uncaughtException');
  });
  process.on('unhandledRejection', (e) => {
    logger.error({ err: errorMessage(e), stack: (e as Error)?.stack }, 'unhandled promise rejection');
  });

  try {
    daemon = await createDaemon(options, { native, logs, status: notifier, signal: startup.signal });
  } catch (e) {
    if (startup.signal.aborted) {
      logger.info('stopped');
      process.exit(0);
    }
    process.stderr.write(`wdavdaemon: ${errorMessage(e)}\n`);
    process.exit(1);
  }
  notifier.ready('Protection active');
  notifier.startWatchdog(daemon.services.queue);
  logger.info({ socket: options.socket }, 'wdavdaemon is ready');
}

void main();

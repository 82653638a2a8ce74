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
import { ConfigService } from '../config/service.js';
import { HealthRegistry } from './health.js';
import { ScanQueue } from '../scan/queue.js';
import { defaultSettings } from '../config/settings.js';
import { Daemon } from './lifecycle.js';
import { Notifier } from './notify.js';
import { daemonStages } from './stages.js';
import { servicesSkeleton } from './core-stages.js';
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
  const config = new ConfigService({ managedFile: options.managedConfig, logger: logs.child('config') });
  const defaults = defaultSettings();
  const services = servicesSkeleton({
    options,
    logs,
    native,
    config,
    health: new HealthRegistry((id) => config.isManaged(id)),
    queue: new ScanQueue(defaults.wdavdaemon.scanQueueCapacity, 4),
    startedAt: new Date(),
    diagnostics: new Map(),
  });
  const notifier = new Notifier(native, logs.child('systemd'));
  const daemon = new Daemon(services, daemonStages(), notifier, logger);

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
    // YARA work in the scanner process ends with it: scans waiting on it fail at once.
    const scans = services.scanner?.health().inFlight ?? 0;
    void services.scanner?.stop().then(() => scans > 0 && logger.info({ scans }, 'scanner process stopped for the shutdown'));
    const force = setTimeout(() => {
      logger.error(
        { ms: SHUTDOWN_DEADLINE_MS, ...daemon.pending(), yaraScans: yara?.yaraStats().runningJobs ?? [], queue: services.queue.stats() },
        'shutdown did not finish in time: exiting',
      );
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    daemon.stop(`signal ${signal}`).then(
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
  process.on('SIGHUP', () => void daemon.reload());
  process.on('uncaughtException', (e) => {
    logger.fatal({ err: errorMessage(e), stack: e.stack }, 'uncaught exception: stopping');
    if (!exiting) shutdown('uncaughtException');
  });
  process.on('unhandledRejection', (e) => {
    logger.error({ err: errorMessage(e), stack: (e as Error)?.stack }, 'unhandled promise rejection');
  });

  try {
    await daemon.start();
  } catch (e) {
    process.stderr.write(`wdavdaemon: ${errorMessage(e)}\n`);
    process.exit(1);
  }
}

void main();

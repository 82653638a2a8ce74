// src/daemon/main.ts — the wdavdaemon entry point: options, logger, services, signals.
// SIGTERM/SIGINT stop in order within a bounded time and exit 0; SIGHUP reloads; a second
// signal during shutdown forces exit. Owns process-level handling only.
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

/** Upper bound for a whole shutdown; past it the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 30_000;

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
    const force = setTimeout(() => {
      logger.error({ ms: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time: exiting');
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

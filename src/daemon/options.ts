// src/daemon/options.ts — the daemon's command line and environment (ARCHITECTURE §4): every
// flag also as a WDAV_* variable; flags win over the environment, the environment over the
// defaults in src/shared/paths.ts. Owns parsing only.
import { Command, Option, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { defaultCustomDefinitionsDir, defaultManagedConfig, defaultSocketPath, defaultStateDir } from '../shared/paths.js';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../shared/logger.js';
import { appVersion } from '../shared/version.js';

export type RtpBackendChoice = 'auto' | 'fanotify' | 'chokidar' | 'none';

export interface DaemonOptions {
  socket: string;
  stateDir: string;
  managedConfig: string | null;
  customDefinitions: string;
  rtpBackend: RtpBackendChoice;
  rtpPaths: string[];
  /** Set only when given on the command line or in WDAV_LOG_LEVEL; it then wins over settings. */
  logLevel: LogLevel | null;
  /** The user wdav-scanner runs as; null: `mdatp`, or `nobody` when there is no such user. */
  scannerUser: string | null;
}

function absolute(what: string) {
  return (v: string): string => {
    if (!v) throw new InvalidArgumentError(`${what} must not be empty`);
    return path.resolve(v);
  };
}

export function parseDaemonOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonOptions {
  const program = new Command('wdavdaemon')
    .description('Real-time malware protection daemon (Microsoft Defender for Endpoint compatible)')
    .version(appVersion(), '-V, --version')
    .addOption(new Option('--socket <path>', 'control socket').argParser(absolute('--socket')))
    .addOption(new Option('--state-dir <dir>', 'state directory (database, quarantine, definitions)').argParser(absolute('--state-dir')))
    .addOption(new Option('--managed-config <file>', 'managed configuration file (mdatp_managed.json)').argParser(absolute('--managed-config')))
    .addOption(new Option('--custom-definitions <dir>', 'directory of drop-in definitions (YARA, ClamAV)').argParser(absolute('--custom-definitions')))
    .addOption(new Option('--rtp-backend <backend>', 'real-time protection backend').choices(['auto', 'fanotify', 'chokidar', 'none']))
    .addOption(
      new Option('--rtp-path <path>', 'limit real-time protection to this path (repeatable)').argParser((v: string, prev: string[] | undefined) => [
        ...(prev ?? []),
        absolute('--rtp-path')(v),
      ]),
    )
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]))
    .addOption(new Option('--scanner-user <name>', 'the unprivileged user the scanner process runs as (default: mdatp)'))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .helpOption('-h, --help');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    socket?: string;
    stateDir?: string;
    managedConfig?: string;
    customDefinitions?: string;
    rtpBackend?: RtpBackendChoice;
    rtpPath?: string[];
    logLevel?: LogLevel;
    scannerUser?: string;
  }>();

  const envBackend = env.WDAV_RTP_BACKEND;
  if (envBackend !== undefined && !['auto', 'fanotify', 'chokidar', 'none'].includes(envBackend)) {
    throw new InvalidArgumentError(`WDAV_RTP_BACKEND must be auto, fanotify, chokidar or none, got ${JSON.stringify(envBackend)}`);
  }
  const envLevel = env.WDAV_LOG_LEVEL;
  if (envLevel !== undefined && envLevel !== '' && !isLogLevel(envLevel)) {
    throw new InvalidArgumentError(`WDAV_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(envLevel)}`);
  }
  const envPaths = env.WDAV_RTP_PATHS ? env.WDAV_RTP_PATHS.split(':').filter(Boolean).map((p) => path.resolve(p)) : [];
  const managedEnv = env.WDAV_MANAGED_CONFIG;
  return {
    socket: o.socket ?? (env.WDAV_SOCKET ? path.resolve(env.WDAV_SOCKET) : defaultSocketPath()),
    stateDir: o.stateDir ?? (env.WDAV_STATE_DIR ? path.resolve(env.WDAV_STATE_DIR) : defaultStateDir()),
    managedConfig: o.managedConfig ?? (managedEnv ? path.resolve(managedEnv) : defaultManagedConfig()),
    customDefinitions: o.customDefinitions ?? (env.WDAV_CUSTOM_DEFINITIONS ? path.resolve(env.WDAV_CUSTOM_DEFINITIONS) : defaultCustomDefinitionsDir()),
    rtpBackend: o.rtpBackend ?? ((envBackend as RtpBackendChoice | undefined) || 'auto'),
    rtpPaths: o.rtpPath ?? envPaths,
    logLevel: o.logLevel ?? (isLogLevel(envLevel) ? envLevel : null),
    scannerUser: o.scannerUser || env.WDAV_SCANNER_USER || null,
  };
}

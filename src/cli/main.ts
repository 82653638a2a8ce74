// src/cli/main.ts — the mdatp entry point: MDE's command tree (commander), one file per command
// group in src/cli/commands/. Errors end as one line on stderr and a non-zero exit status.
import { Command, CommanderError } from 'commander';
import { CliError } from './client.js';
import { appVersion } from '../shared/version.js';
import { registerHealth } from './commands/health.js';
import { registerConfig } from './commands/config.js';
import { registerExclusion } from './commands/exclusion.js';
import { registerDiagnostic } from './commands/diagnostic.js';
import { registerRtpDiagnostic } from './commands/rtp-diagnostic.js';
import { registerVersion } from './commands/version.js';
import { registerThreat } from './commands/threat.js';
import { registerScan } from './commands/scan.js';
import { registerDefinitions } from './commands/definitions.js';

export function buildProgram(): Command {
  const program = new Command('mdatp')
    .description('Command-line client of wdavdaemon (Microsoft Defender for Endpoint compatible)')
    .option('--socket <path>', 'daemon socket (default: $MDATP_SOCKET, else the default for this user)')
    .version(appVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerHealth(program);
  registerConfig(program);
  registerExclusion(program);
  registerRtpDiagnostic(registerDiagnostic(program));
  registerVersion(program);
  registerThreat(program);
  registerScan(program);
  registerDefinitions(program);
  program.configureHelp({ sortSubcommands: true });
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`mdatp: ${(e as Error).message}\n`);
    return 1;
  }
}

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

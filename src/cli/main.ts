// src/cli/main.ts — the mdatp entry point: MDE's command tree (commander), one file per command
// group in src/cli/commands/. Errors end as one line on stderr and a non-zero exit status.
// Start-up cost is paid on every call (scripts run mdatp in loops), so only what the command
// line needs is imported: `--version` needs no commander at all, a line naming a command loads
// that command's group only (argv.ts, groups.ts), help and errors load the full tree.
import { CliError } from './cli-error.js';
import { appVersion } from '../shared/version.js';
import { classifyRoot } from './argv.js';
import { COMMAND_NAMES } from './groups.js';
import { loadProgram } from './program.js';

/**
 * `mdatp threat list --output json | head`: the reader may go away before mdatp has written
 * everything. Like git log or ls, stop quietly then — with success, since nothing failed but
 * the reader's interest. A broken stderr ends the process with the status it was reporting.
 */
function quietOnBrokenPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`mdatp: cannot write the output: ${e.message}\n`);
    process.exit(1);
  });
  process.stderr.on('error', () => process.exit(typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1));
}

export async function run(argv: string[]): Promise<number> {
  const root = classifyRoot(argv, COMMAND_NAMES);
  if (root.kind === 'version') {
    // what commander prints for -V/--version, wherever it stands on the line
    process.stdout.write(`${appVersion()}\n`);
    return 0;
  }
  const { commander, program } = await loadProgram(root.kind === 'command' ? root.name : null);
  try {
    await program.parseAsync(argv, { from: 'user' });
    // a command that completed but reports a failure (connectivity test) sets process.exitCode
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof commander.CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`mdatp: ${(e as Error).message}\n`);
    return 1;
  }
}

quietOnBrokenPipe();
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

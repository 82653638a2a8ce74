// src/cli/program.ts — builds mdatp's commander program: the root options, then the command
// groups (all of them, or only the one a command line names; see groups.ts). commander and the
// group modules are loaded here, on demand, so `mdatp --version` loads neither.
// Owns the root command's set-up. Must not: parse or run a command line (main.ts does).
import type { Command } from 'commander';
import { appVersion } from '../shared/version.js';
import { groupsFor, type Register } from './groups.js';
import { loadCommander, type Commander } from './load-commander.js';

export interface Program {
  commander: Commander;
  program: Command;
}

/** The program with every command group, or (only) with the group of that top-level command. */
export async function loadProgram(only: string | null = null): Promise<Program> {
  const registers = await Promise.all(groupsFor(only).map((g) => g.load()));
  const commander = loadCommander();
  return { commander, program: programWith(new commander.Command('mdatp'), registers) };
}

function programWith(program: Command, registers: readonly Register[]): Command {
  program
    .description('Command-line client of wdavdaemon (Microsoft Defender for Endpoint compatible)')
    .option('--socket <path>', 'daemon socket (default: $MDATP_SOCKET, else the default for this user)')
    .version(appVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  for (const register of registers) register(program);
  // Set after the groups, so subcommands keep commander's default (registration) order.
  program.configureHelp({ sortSubcommands: true });
  return program;
}

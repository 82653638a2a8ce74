// src/cli/argv.ts — reads the root of an mdatp command line the way commander's root
// parseOptions does (root options: `--socket <path>`, `-V, --version`), so main.ts can load only
// the command group the line names (start-up time: every group module, and what it imports,
// costs milliseconds on each `mdatp` call). Owns this classification only; commander still
// parses the whole line. Anything this does not recognise with certainty is 'all': the full
// command tree is loaded and commander decides, as before.

export type RootArgs =
  /** commander would print the version and exit 0 before it looks at anything else */
  | { kind: 'version' }
  /** commander would dispatch to this top-level command (or leave it to show its help) */
  | { kind: 'command'; name: string }
  /** help, errors, unknown names: needs the full tree */
  | { kind: 'all' };

const isOptionLike = (arg: string): boolean => arg.length > 1 && arg[0] === '-';

/**
 * Mirrors commander 14 Command.parseOptions on the root command, which has no positional
 * options: root options are taken anywhere on the line (also after the subcommand's name)
 * until `--`; the first operand before any unknown option names the subcommand.
 */
export function classifyRoot(args: readonly string[], commands: ReadonlySet<string>): RootArgs {
  let first: string | undefined;
  let unknownSeen = false;
  for (let i = 0; i < args.length; ) {
    const arg = args[i++]!;
    if (arg === '--') {
      if (!unknownSeen && first === undefined) first = args[i];
      break;
    }
    if (arg === '-V' || arg === '--version') return { kind: 'version' };
    if (arg === '--socket') {
      // commander takes the next argument whatever it looks like; none is a root error (root help)
      if (i >= args.length) return { kind: 'all' };
      i++;
      continue;
    }
    // a short group like -Vx: its first letter is the root's -V
    if (arg.length > 2 && arg[0] === '-' && arg[1] !== '-') {
      if (arg[1] === 'V') return { kind: 'version' };
    }
    if (arg.startsWith('--socket=')) continue;
    if (isOptionLike(arg)) unknownSeen = true;
    else if (!unknownSeen && first === undefined) first = arg;
  }
  return first !== undefined && commands.has(first) ? { kind: 'command', name: first } : { kind: 'all' };
}

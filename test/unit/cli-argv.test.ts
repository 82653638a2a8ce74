// mdatp reads the root of its command line itself (src/cli/argv.ts) to load only the command
// group it names; commander then parses the whole line. The two must agree: on every line
// below, a 'version' answer is a line where commander prints the version, and a 'command' answer
// names the subcommand commander dispatches to. ('all' is always safe: the full tree is loaded.)
import t from 'tap';
import { classifyRoot } from '../../src/cli/argv.js';
import { COMMAND_NAMES } from '../../src/cli/groups.js';
import { loadProgram } from '../../src/cli/program.js';

type Seen = { version: boolean; dispatched: string | null };

/** What commander does with the line on the full tree, stopped before any command runs. */
async function commanderOn(argv: string[]): Promise<Seen> {
  const { program } = await loadProgram();
  const seen: Seen = { version: false, dispatched: null };
  const stop = new Error('stop');
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  program.hook('preSubcommand', (_root, sub) => {
    seen.dispatched = sub.name();
    throw stop;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    // commander's exits (help, errors, version) and our stop all end here
    if ((e as { code?: string }).code === 'commander.version') seen.version = true;
  }
  return seen;
}

const lines: { argv: string[]; expect: 'version' | 'command' | 'all' }[] = [
  { argv: ['--version'], expect: 'version' },
  { argv: ['-V'], expect: 'version' },
  { argv: ['-Vx'], expect: 'version' },
  { argv: ['health', '--version'], expect: 'version' },
  { argv: ['scan', 'custom', '--path', '/x', '--output', 'json', '-V'], expect: 'version' },
  { argv: ['--socket', '/s', '--version'], expect: 'version' },
  { argv: ['--socket=/s', '-V'], expect: 'version' },
  { argv: ['--socket', '-V', 'health'], expect: 'command' },
  { argv: ['--socket', '--version'], expect: 'all' },
  { argv: ['health', '--', '--version'], expect: 'command' },
  { argv: ['--', 'health'], expect: 'command' },
  { argv: ['--', '--version'], expect: 'all' },
  { argv: ['--version=1'], expect: 'all' },
  { argv: ['-xV'], expect: 'all' },
  { argv: ['health'], expect: 'command' },
  { argv: ['health', '--output', 'json'], expect: 'command' },
  { argv: ['--socket', '/s', 'health'], expect: 'command' },
  { argv: ['--socket=/s', 'scan', 'custom', '--path', '/x'], expect: 'command' },
  { argv: ['scan', 'custom', '--path', '/x', '--socket', '/s', '--output', 'json'], expect: 'command' },
  { argv: ['log', 'level', 'set', '--level', 'info'], expect: 'command' },
  { argv: ['connectivity', 'test'], expect: 'command' },
  { argv: ['threat', 'quarantine', 'restore', '--id', 'x', '--path', '/d'], expect: 'command' },
  { argv: ['health', '--help'], expect: 'command' },
  { argv: ['health', '--socket'], expect: 'all' },
  { argv: ['--bogus', 'health'], expect: 'all' },
  { argv: ['-', 'health'], expect: 'all' },
  { argv: ['-5', 'health'], expect: 'all' },
  { argv: ['help', 'scan'], expect: 'all' },
  { argv: ['nope'], expect: 'all' },
  { argv: ['--help'], expect: 'all' },
  { argv: [], expect: 'all' },
];

for (const { argv, expect } of lines) {
  t.test(JSON.stringify(argv), async (t) => {
    const got = classifyRoot(argv, COMMAND_NAMES);
    t.equal(got.kind, expect);
    const seen = await commanderOn(argv);
    if (got.kind === 'version') t.ok(seen.version, 'commander prints the version');
    else t.notOk(seen.version, 'commander does not print the version');
    if (got.kind === 'command') t.equal(seen.dispatched, got.name, 'commander dispatches to the same command');
  });
}

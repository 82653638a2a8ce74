// mdatp loads only the command group a line names (src/cli/groups.ts). Each group's table entry
// must list exactly the top-level commands its module registers, and a program holding that group
// alone must give its commands the same options, help and settings as the full program.
import t from 'tap';
import type { Command } from 'commander';
import { GROUPS, COMMAND_NAMES, groupsFor } from '../../src/cli/groups.js';
import { loadProgram } from '../../src/cli/program.js';

function describe(c: Command): string[] {
  // helpInformation covers description, usage, options (with choices and defaults), subcommands
  const own = [`${c.name()}\n${c.helpInformation()}`];
  return [...own, ...c.commands.flatMap((s) => describe(s))];
}

t.test('the table names every top-level command once, in registration order', async (t) => {
  const { program } = await loadProgram();
  const names = program.commands.map((c) => c.name());
  t.same(names, GROUPS.flatMap((g) => g.names));
  t.equal(COMMAND_NAMES.size, names.length, 'no name in two groups');
});

for (const g of GROUPS) {
  t.test(`group ${g.names.join(', ')} alone`, async (t) => {
    const { program: full } = await loadProgram();
    for (const name of g.names) {
      t.same(groupsFor(name), [g], `${name} selects its group`);
      const { program: alone } = await loadProgram(name);
      t.same(alone.commands.map((c) => c.name()), g.names, 'registers exactly the listed commands');
      const a = alone.commands.find((c) => c.name() === name)!;
      const f = full.commands.find((c) => c.name() === name)!;
      t.same(describe(a), describe(f), `${name}: same commands, options and help`);
      t.equal(alone.helpInformation().includes(`--socket <path>`), true, 'root options are there');
    }
  });
}

t.test('an unknown name or none selects every group', async (t) => {
  t.same(groupsFor(null), GROUPS);
  t.same(groupsFor('nope'), GROUPS);
});

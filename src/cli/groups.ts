// src/cli/groups.ts — mdatp's command groups in their registration order (the order of
// `mdatp --help` ties and suggestions), each with the top-level command names it registers and a
// loader that imports its module only when asked. Owns this table only: the commands themselves
// live in src/cli/commands/. test/unit/cli-groups.test.ts checks the names against the modules.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export interface Group {
  /** the top-level commands this group's register function adds to the program */
  names: readonly string[];
  load(): Promise<Register>;
}

export const GROUPS: readonly Group[] = [
  { names: ['health'], load: async () => (await import('./commands/health.js')).registerHealth },
  { names: ['config', 'log'], load: async () => (await import('./commands/config.js')).registerConfig },
  { names: ['exclusion'], load: async () => (await import('./commands/exclusion.js')).registerExclusion },
  {
    names: ['diagnostic'],
    load: async () => {
      const [d, r] = await Promise.all([import('./commands/diagnostic.js'), import('./commands/rtp-diagnostic.js')]);
      return (program) => r.registerRtpDiagnostic(d.registerDiagnostic(program));
    },
  },
  { names: ['version'], load: async () => (await import('./commands/version.js')).registerVersion },
  { names: ['threat'], load: async () => (await import('./commands/threat.js')).registerThreat },
  { names: ['scan'], load: async () => (await import('./commands/scan.js')).registerScan },
  { names: ['definitions', 'connectivity'], load: async () => (await import('./commands/definitions.js')).registerDefinitions },
];

export const COMMAND_NAMES: ReadonlySet<string> = new Set(GROUPS.flatMap((g) => g.names));

/** The groups to register: the one that owns `name`, or all of them. */
export function groupsFor(name: string | null): readonly Group[] {
  if (name === null) return GROUPS;
  const g = GROUPS.find((x) => x.names.includes(name));
  return g ? [g] : GROUPS;
}

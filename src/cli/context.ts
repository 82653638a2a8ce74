// src/cli/context.ts — what every mdatp command gets: a client for the daemon's socket and the
// output writer for the format chosen with --output. `leaf()` adds the common options to a
// command so `--output json` works at the end of any command line, as in MDE.
import type { Command } from 'commander';
import { Client, resolveSocket } from './client.js';
import { makeOut, type Out, type OutputFormat } from './output.js';

export interface Ctx {
  client: Client;
  out: Out;
}

export type Handler<O> = (opts: O, ctx: Ctx, cmd: Command) => Promise<void>;

export function leaf<O>(parent: Command, name: string, description: string, handler: Handler<O>): Command {
  const cmd = parent.command(name).description(description);
  cmd.addOption(cmd.createOption('--output <format>', 'output format').choices(['text', 'json']).default('text'));
  cmd.action(async (opts: O & { output: OutputFormat }, c: Command) => {
    const root = rootOf(c);
    const socket = resolveSocket(root.opts<{ socket?: string }>().socket);
    await handler(opts, { client: new Client(socket), out: makeOut(opts.output) }, c);
  });
  return cmd;
}

function rootOf(c: Command): Command {
  let r = c;
  while (r.parent) r = r.parent;
  return r;
}

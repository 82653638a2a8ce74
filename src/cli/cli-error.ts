// src/cli/cli-error.ts — the error every mdatp command ends with: one line for stderr, a
// WDAV_ERR_* code and the exit status. Its own module so that main.ts can catch it without
// loading the socket client (and node:http) for lines that never reach the daemon.
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

// src/shared/paths.ts — default locations (ARCHITECTURE.md §4): one function per path, root vs
// another user. Owns defaults only; flags and environment variables are applied by
// src/daemon/options.ts and src/cli/client.ts.
import os from 'node:os';
import path from 'node:path';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function userStateDir(): string {
  return path.join(os.homedir(), '.local', 'state', 'wdavdaemon');
}

export function defaultSocketPath(): string {
  if (isRoot()) return '/run/wdavdaemon/mdatp.sock';
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'wdavdaemon', 'mdatp.sock');
  return path.join(userStateDir(), 'mdatp.sock');
}

export function defaultStateDir(): string {
  return isRoot() ? '/var/lib/wdavdaemon' : userStateDir();
}

export function defaultManagedConfig(): string | null {
  return isRoot() ? '/etc/opt/microsoft/mdatp/managed/mdatp_managed.json' : null;
}

export function defaultCustomDefinitionsDir(): string {
  return isRoot() ? '/etc/wdavdaemon/definitions.d' : path.join(os.homedir(), '.config', 'wdavdaemon', 'definitions.d');
}

/** Where public keys that verify signed definition packages are installed with the daemon. */
export function bundledTrustedKeysDir(): string {
  return path.join(packageRoot(), 'keys');
}

export function packageRoot(): string {
  // dist/shared/paths.js -> package root is two levels up from dist/shared
  return path.resolve(new URL('.', import.meta.url).pathname, '..', '..');
}

// src/daemon/state-stage.ts — the 'state' stage (after 'config', before 'store'): the state
// directory and what the daemon keeps in it must be its own before anything is read from or
// written into it (ARCHITECTURE §3.9; issue #11, finding 3). The state directory, and every
// directory above it, pass src/shared/trust.ts; so do, when they exist, the quarantine
// directory, quarantine.key, the database and its -wal/-shm files, and the definitions
// directory; the key must also be unreadable by others (it authenticates quarantine items).
// Anything else is a refusal to start: one line naming the path, what is wrong and the fix;
// nothing is created or changed. A missing state directory is created (0700) when everything
// above it passes, so a fresh machine starts. Definitions generations and the pattern cache
// are checked where they are read (src/definitions/). Owns this check only.
import fs from 'node:fs';
import path from 'node:path';
import { DB_FILE } from '../store/db.js';
import { KEY_FILE } from '../threats/qfile.js';
import { QUARANTINE_DIR } from '../threats/service.js';
import { DEFINITIONS_DIR } from '../definitions/service.js';
import { UntrustedPathError, checkTrusted, type TrustKind } from '../shared/trust.js';
import type { Started } from './lifecycle.js';

const CONTEXT = 'refusing to start';

/** What the daemon reads back from its state directory, checked at start when present. */
const CONTENTS: [string, TrustKind][] = [
  [QUARANTINE_DIR, 'dir'],
  [KEY_FILE, 'file'],
  [DB_FILE, 'file'],
  [`${DB_FILE}-wal`, 'file'],
  [`${DB_FILE}-shm`, 'file'],
  [DEFINITIONS_DIR, 'dir'],
];

function trusted(p: string, kind: TrustKind): boolean {
  const r = checkTrusted(p, kind);
  if (r.ok) return true;
  if (r.missing) return false;
  throw new UntrustedPathError(r.problem, p, CONTEXT);
}

/** Checks (and on a fresh machine creates) the state directory; throws UntrustedPathError. */
export function checkStateDir(stateDir: string): void {
  if (!trusted(stateDir, 'dir')) {
    // Everything that exists above it passed: no one else can interfere with the mkdir.
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    if (!trusted(stateDir, 'dir')) throw new Error(`${stateDir} vanished after it was created`);
  }
  for (const [name, kind] of CONTENTS) trusted(path.join(stateDir, name), kind);
  const key = path.join(stateDir, KEY_FILE);
  const st = fs.statSync(key, { throwIfNoEntry: false });
  if (st && (st.mode & 0o044) !== 0) {
    throw new UntrustedPathError({ path: key, problem: `is readable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}) and authenticates quarantine items`, fix: `chmod 600 ${key}` }, key, CONTEXT);
  }
}

export function startState(stateDir: string): Started<string> {
  checkStateDir(stateDir);
  return { service: stateDir };
}

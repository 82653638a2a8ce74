// src/definitions/update-keys.ts — the trusted Ed25519 public keys that verify definitions
// packages: `*.pem` (SPKI "BEGIN PUBLIC KEY") files in the keys/ folder installed with the daemon
// and in an optional extra directory. A private key, a non-Ed25519 key, or a file that fails the
// trust rule (src/shared/trust.ts: someone other than root or the daemon's user could change it
// or its directories) is never trusted (each is reported). Owns: loading keys and checking
// manifest signatures.
// Must not: fetch anything.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import { UntrustedPathError, problemAfter, readTrusted } from '../shared/trust.js';
import { decodeSignature } from './manifest.js';

export interface TrustedKey {
  /** The file the key came from (shown in reports: which key signed a package). */
  file: string;
  key: crypto.KeyObject;
}

export interface TrustedKeys {
  keys: TrustedKey[];
  /** Files skipped and why. */
  problems: string[];
}

const MAX_KEY_FILE = 64 * 1024;

export function loadTrustedKeys(dirs: readonly string[]): TrustedKeys {
  const keys: TrustedKey[] = [];
  const problems: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.pem') && !n.startsWith('.')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${dir}: cannot list (${(e as NodeJS.ErrnoException).code})`);
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const why = keyProblem(file);
      if (typeof why === 'string') problems.push(`${file}: ${why}`);
      else keys.push({ file, key: why });
    }
  }
  return { keys, problems };
}

function keyProblem(file: string): string | crypto.KeyObject {
  let text: string;
  try {
    // Anyone who could swap a key file could sign definitions: the trust rule, with a bound.
    text = readTrusted(file, MAX_KEY_FILE).toString('utf8');
  } catch (e) {
    if (e instanceof UntrustedPathError) return problemAfter(e.problem, file);
    if ((e as WdavError).code === 'WDAV_ERR_FILE_TOO_LARGE') return 'larger than 64 KiB';
    return `cannot read (${(e as NodeJS.ErrnoException).code})`;
  }
  if (/PRIVATE KEY-----/u.test(text)) return 'holds a PRIVATE key: not trusted (install only the public key, keep the private key off this machine)';
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: text, format: 'pem' });
  } catch (e) {
    return `not a PEM public key (${(e as Error).message})`;
  }
  if (key.asymmetricKeyType !== 'ed25519') return `a ${key.asymmetricKeyType ?? 'unknown'} key; only Ed25519 keys are used`;
  return key;
}

/**
 * Checks the Ed25519 signature of the exact manifest bytes against every trusted key; returns the
 * file of the key that verified it, else throws WDAV_ERR_SIGNATURE_INVALID saying why.
 */
export function verifyManifestSignature(manifest: Buffer, signature: Buffer, trusted: TrustedKeys): string {
  if (trusted.keys.length === 0) {
    const extra = trusted.problems.length ? ` (${trusted.problems.join('; ')})` : '';
    throw new WdavError('WDAV_ERR_SIGNATURE_INVALID', `no trusted public key is installed to verify the package${extra}; see docs/definitions.md`);
  }
  const sig = decodeSignature(signature);
  if (!sig) throw new WdavError('WDAV_ERR_SIGNATURE_INVALID', 'manifest.json.sig is not an Ed25519 signature (expected base64 of 64 bytes)');
  for (const k of trusted.keys) {
    if (crypto.verify(null, manifest, k.key, sig)) return k.file;
  }
  throw new WdavError('WDAV_ERR_SIGNATURE_INVALID', `manifest.json signature does not verify with any of ${trusted.keys.length} trusted key(s)`);
}

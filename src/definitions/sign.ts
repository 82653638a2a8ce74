// src/definitions/sign.ts — the publisher's side of our package format: Ed25519 key pairs, a
// manifest built from a directory of definition files, and its signature. Used by the
// `npm run definitions:sign` tool (sign-cli.ts) and by tests. Owns: writing manifest.json and
// manifest.json.sig. Must not: run inside the daemon (it never holds a private key).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import {
  MANIFEST_NAME,
  SIGNATURE_NAME,
  type Manifest,
  checkPackageFileName,
  checkVersion,
  encodeSignature,
  serializeManifest,
} from './manifest.js';

export interface KeyPairPem {
  publicKey: string;
  privateKey: string;
}

export function generateKeyPair(): KeyPairPem {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Writes a new key pair: the private key (mode 0600) at `out`, the public key next to it. Never overwrites. */
export function writeKeyPair(out: string): { privateFile: string; publicFile: string } {
  const privateFile = path.resolve(out);
  const publicFile = privateFile.endsWith('.pem') ? privateFile.replace(/\.pem$/u, '.pub.pem') : `${privateFile}.pub.pem`;
  const pair = generateKeyPair();
  for (const f of [privateFile, publicFile]) {
    if (fs.existsSync(f)) throw new WdavError('WDAV_ERR_ALREADY_EXISTS', `${f} already exists; not overwriting a key`);
  }
  fs.writeFileSync(privateFile, pair.privateKey, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicFile, pair.publicKey, { mode: 0o644, flag: 'wx' });
  return { privateFile, publicFile };
}

/** A version that grows with time and compares as dotted numbers: YYYY.MMDD.HHMMSS (UTC). */
export function defaultVersion(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${now.getUTCFullYear()}.${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}.${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/** The manifest for every definitions file directly in `dir` (hidden files and our own files excluded). */
export function buildManifest(dir: string, version: string, created = new Date()): Manifest {
  const vErr = checkVersion(version);
  if (vErr) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `version '${version}' ${vErr}`);
  const files = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === MANIFEST_NAME || name === SIGNATURE_NAME) continue;
    const full = path.join(dir, name);
    if (!fs.statSync(full).isFile()) continue;
    const why = checkPackageFileName(name);
    if (why) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `${full}: ${why}; move it out of the package directory`);
    const data = fs.readFileSync(full);
    files.push({ name, sha256: crypto.createHash('sha256').update(data).digest('hex'), size: data.length });
  }
  if (files.length === 0) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `${dir} holds no definitions files`);
  return { format: 1, version, created: created.toISOString(), files };
}

export function loadPrivateKey(file: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(fs.readFileSync(file));
  } catch (e) {
    throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `${file}: not a PEM private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `${file}: a ${key.asymmetricKeyType} key; an Ed25519 key is required`);
  return key;
}

/** Writes manifest.json and manifest.json.sig into `dir`; returns the manifest. */
export function signPackage(dir: string, key: crypto.KeyObject, version = defaultVersion(), created = new Date()): Manifest {
  const manifest = buildManifest(dir, version, created);
  const bytes = serializeManifest(manifest);
  const sig = crypto.sign(null, bytes, key);
  fs.writeFileSync(path.join(dir, MANIFEST_NAME), bytes);
  fs.writeFileSync(path.join(dir, SIGNATURE_NAME), encodeSignature(sig));
  return manifest;
}

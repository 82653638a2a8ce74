// src/definitions/manifest.ts — our definitions package format (docs/definitions.md):
// `manifest.json` {format: 1, version, created, files: [{name, sha256, size}]} next to the files it
// lists, and `manifest.json.sig`: the Ed25519 signature of the exact manifest bytes, written as one
// line of base64 (a raw 64-byte signature is accepted too). Also the version order used to refuse
// downgrades. Owns: parsing/validating/serializing the manifest. Must not: fetch or verify keys.
import crypto from 'node:crypto';
import { WdavError } from '../shared/errors.js';
import { formatOf } from './sources.js';

export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.json.sig';
export const MANIFEST_MAX_BYTES = 1024 * 1024;
export const SIGNATURE_MAX_BYTES = 4096;
export const MAX_PACKAGE_FILES = 1000;

export interface ManifestFile {
  name: string;
  sha256: string;
  size: number;
}

export interface Manifest {
  format: 1;
  version: string;
  created: string;
  files: ManifestFile[];
}

const RESERVED = new Set([MANIFEST_NAME, SIGNATURE_NAME, 'generation.json']);
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u;
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/u;

function bad(reason: string): WdavError {
  return new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `${MANIFEST_NAME}: ${reason}`, { file: MANIFEST_NAME, reason });
}

/** A file name a package may carry: a plain name with a definitions extension the loader knows. */
export function checkPackageFileName(name: unknown): string | null {
  if (typeof name !== 'string' || !NAME_RE.test(name)) return 'must be a plain file name (letters, digits, . _ -; no path)';
  if (RESERVED.has(name)) return 'is a reserved name';
  if (!formatOf(name)) return 'does not have a definitions extension (.hdb .hsb .ndb .fp .ign2 .yar .cvd ...)';
  return null;
}

export function checkVersion(version: unknown): string | null {
  if (typeof version !== 'string' || !VERSION_RE.test(version)) return 'must be 1-64 characters of letters, digits, . _ + -';
  return null;
}

/** Parses and validates manifest bytes; every problem is a WDAV_ERR_DEFINITIONS_INVALID naming the field. */
export function parseManifest(bytes: Buffer, maxFileBytes = Number.MAX_SAFE_INTEGER): Manifest {
  if (bytes.length > MANIFEST_MAX_BYTES) throw bad(`larger than ${MANIFEST_MAX_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('must be a JSON object');
  const o = raw as Record<string, unknown>;
  if (o['format'] !== undefined && o['format'] !== 1) throw bad(`format ${JSON.stringify(o['format'])} is not supported (expected 1)`);
  const vErr = checkVersion(o['version']);
  if (vErr) throw bad(`version ${vErr}`);
  if (typeof o['created'] !== 'string' || Number.isNaN(Date.parse(o['created']))) throw bad('created must be an ISO 8601 date');
  if (!Array.isArray(o['files']) || o['files'].length === 0) throw bad('files must be a non-empty array');
  if (o['files'].length > MAX_PACKAGE_FILES) throw bad(`more than ${MAX_PACKAGE_FILES} files`);
  const seen = new Set<string>();
  const files: ManifestFile[] = o['files'].map((f: unknown, i: number) => {
    if (!f || typeof f !== 'object') throw bad(`files[${i}] must be an object`);
    const e = f as Record<string, unknown>;
    const nErr = checkPackageFileName(e['name']);
    if (nErr) throw bad(`files[${i}].name ${JSON.stringify(e['name'])} ${nErr}`);
    const name = e['name'] as string;
    if (seen.has(name.toLowerCase())) throw bad(`files[${i}].name '${name}' is listed twice`);
    seen.add(name.toLowerCase());
    if (typeof e['sha256'] !== 'string' || !/^[0-9a-fA-F]{64}$/u.test(e['sha256'])) throw bad(`files[${i}].sha256 must be 64 hex digits`);
    const size = e['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`files[${i}].size must be a non-negative integer`);
    if (size > maxFileBytes) throw bad(`files[${i}] '${name}' is ${size} bytes, above the ${maxFileBytes}-byte limit`);
    return { name, sha256: e['sha256'].toLowerCase(), size };
  });
  return { format: 1, version: o['version'] as string, created: new Date(o['created']).toISOString(), files };
}

export function serializeManifest(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}

/** manifest.json.sig contents: base64 text (what we write) or the raw 64 bytes. */
export function decodeSignature(sig: Buffer): Buffer | null {
  if (sig.length === 64) return sig;
  const text = sig.toString('latin1').trim();
  if (!/^[A-Za-z0-9+/]{86}==$/u.test(text)) return null;
  const raw = Buffer.from(text, 'base64');
  return raw.length === 64 ? raw : null;
}

export function encodeSignature(sig: Buffer): Buffer {
  return Buffer.from(`${sig.toString('base64')}\n`, 'latin1');
}

export function sha256Hex(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Orders versions: dotted numbers compare numerically component by component (`1.10` > `1.9`);
 * anything else only compares equal or not (null = not comparable).
 */
export function compareVersions(a: string, b: string): number | null {
  if (a === b) return 0;
  const num = /^\d{1,15}(\.\d{1,15})*$/u;
  if (!num.test(a) || !num.test(b)) return null;
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

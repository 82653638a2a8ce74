// src/definitions/update-package.ts — fetching our signed package: manifest.json and its
// Ed25519 signature first (verified against the trusted keys unless verification is disabled),
// then every listed file into the staging directory, each checked against its size and SHA-256.
// Owns: the package download sequence. Must not: switch generations.
import path from 'node:path';
import { MANIFEST_NAME, SIGNATURE_NAME, SIGNATURE_MAX_BYTES, parseManifest } from './manifest.js';
import { loadTrustedKeys, verifyManifestSignature } from './update-keys.js';
import { type UpdateSource, updateFailed } from './update-source.js';
import { type FetchOutcome, type InstalledInfo, type UpdateSettings, checkNotOlder } from './update-types.js';

export async function fetchPackage(
  src: UpdateSource,
  manifestBytes: Buffer,
  settings: UpdateSettings,
  installed: InstalledInfo | null,
  staging: string,
  signal: AbortSignal,
): Promise<FetchOutcome> {
  let signedBy: string | undefined;
  if (settings.verifySignature) {
    const sig = await src.fetchSmall(SIGNATURE_NAME, SIGNATURE_MAX_BYTES, signal);
    if (!sig) {
      throw updateFailed(`${src.describe(MANIFEST_NAME)}: the package is unsigned (${SIGNATURE_NAME} is missing); refused because offlineDefinitionUpdateVerifySig is enabled`);
    }
    // The signature covers the exact bytes: nothing is parsed before it verifies.
    signedBy = verifyManifestSignature(manifestBytes, sig, loadTrustedKeys(settings.trustedKeyDirs));
  }
  const manifest = parseManifest(manifestBytes, settings.maxFileBytes);
  if (installed?.kind === 'package') {
    const order = checkNotOlder(manifest.version, installed.version);
    if (order === 0) return { kind: 'up_to_date', version: manifest.version, source: src.uri };
  }
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  if (total > settings.maxPackageBytes) throw updateFailed(`the package holds ${total} bytes, above the ${settings.maxPackageBytes}-byte limit`);
  for (const f of manifest.files) {
    const got = await src.fetchToFile(f.name, path.join(staging, f.name), f.size, signal).catch((e: Error) => {
      // A file longer than the manifest says is as much a tampering sign as a wrong hash.
      if (/larger than|above the/u.test(e.message)) throw updateFailed(`${f.name}: larger than the ${f.size} bytes the signed manifest lists (tampered?)`);
      throw e;
    });
    if (!got) throw updateFailed(`${src.describe(f.name)}: listed in the manifest but missing from the source`);
    if (got.size !== f.size) throw updateFailed(`${f.name}: ${got.size} bytes, the signed manifest lists ${f.size} (tampered or truncated?)`);
    if (got.sha256 !== f.sha256) throw updateFailed(`${f.name}: SHA-256 ${got.sha256} differs from the signed manifest (${f.sha256}): tampered file refused`);
  }
  return {
    kind: 'staged',
    meta: { kind: 'package', version: manifest.version, source: src.uri, created: manifest.created, ...(signedBy ? { signedBy } : {}) },
    names: manifest.files.map((f) => f.name),
  };
}

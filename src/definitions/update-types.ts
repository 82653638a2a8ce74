// src/definitions/update-types.ts — settings and outcomes shared by the update modules, and the
// downgrade rule. Owns: types and defaults only.
import { DEFAULT_HTTP_SETTINGS, type HttpSettings } from './update-http.js';
import { compareVersions } from './manifest.js';
import { updateFailed } from './update-source.js';
import type { GenerationMeta } from './generations.js';

export interface UpdateSettings {
  /** offlineDefinitionUpdateUrl: http(s) URL, file:// URL or absolute directory; null = not configured. */
  url: string | null;
  /** features.offlineDefinitionUpdateVerifySig (default true). */
  verifySignature: boolean;
  /** Folders of trusted public keys: the installed keys/ plus an optional extra one. */
  trustedKeyDirs: string[];
  http: HttpSettings;
  /** Largest single file of an update. */
  maxFileBytes: number;
  /** Largest update in total. */
  maxPackageBytes: number;
}

const GiB = 1024 * 1024 * 1024;

export function defaultUpdateSettings(trustedKeyDirs: string[]): UpdateSettings {
  return { url: null, verifySignature: true, trustedKeyDirs, http: { ...DEFAULT_HTTP_SETTINGS }, maxFileBytes: 1 * GiB, maxPackageBytes: 3 * GiB };
}

export interface InstalledInfo {
  kind: GenerationMeta['kind'];
  version: string;
}

export type StagedMeta = Pick<GenerationMeta, 'kind' | 'version' | 'source' | 'created'> & { signedBy?: string };

export type FetchOutcome =
  | { kind: 'up_to_date'; version: string; source: string }
  | { kind: 'staged'; meta: StagedMeta; names: string[] };

/**
 * 0 when the offered version is the installed one; 1 when newer or not comparable. An older
 * version is refused: replaying an old (validly signed) package must not roll definitions back.
 */
export function checkNotOlder(offered: string, installed: string): number {
  const c = compareVersions(offered, installed);
  if (c === 0) return 0;
  if (c !== null && c < 0) {
    throw updateFailed(`the source offers version ${offered}, older than the installed ${installed}; refusing a downgrade (use 'mdatp definitions restore' to go back)`);
  }
  return 1;
}

// src/config/managed.ts — parses mdatp_managed.json text into setting values. A syntax error or
// a wrong type anywhere refuses the whole file (the caller keeps the last good one); keys we do
// not implement are accepted and reported as ignored. Owns: the managed file's interpretation.
// Must not: read or watch the file (src/config/service.ts does).
import { MANAGED_KEYS, isKnownIgnored, type SettingId } from './managed-keys.js';
import { ParseError, describe } from './parse.js';

export interface IgnoredKey {
  key: string;
  reason: 'not_implemented' | 'unknown';
}

export interface ManagedConfig {
  values: Map<SettingId, unknown>;
  ignored: IgnoredKey[];
}

export class ManagedConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string | null,
    readonly reason: string,
  ) {
    super(`${file}${key ? `: ${key}` : ''}: ${reason}`);
  }
}

/** The largest managed file read (src/config/service.ts reads at most one byte more). */
export const MAX_MANAGED_SIZE = 1024 * 1024;

export function parseManagedConfig(file: string, text: string): ManagedConfig {
  if (text.length > MAX_MANAGED_SIZE) throw new ManagedConfigError(file, null, `file is larger than ${MAX_MANAGED_SIZE} bytes`);
  let root: unknown;
  try {
    root = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new ManagedConfigError(file, null, `invalid JSON: ${(e as Error).message}`);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new ManagedConfigError(file, null, `the top level must be a JSON object, got ${describe(root)}`);
  }
  const values = new Map<SettingId, unknown>();
  const ignored: IgnoredKey[] = [];
  const byPath = new Map(MANAGED_KEYS.map((k) => [k.path, k]));
  // Legacy keys first so that the current key wins when a file has both.
  const seen: { path: string; value: unknown }[] = [];
  for (const [section, body] of Object.entries(root as Record<string, unknown>)) {
    if (isKnownIgnored(section) && ![...byPath.keys()].some((p) => p.startsWith(`${section}.`))) {
      // A whole MDE section we do not implement (edr, networkProtection, ...): one report.
      ignored.push({ key: section, reason: 'not_implemented' });
      continue;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      if (isKnownIgnored(section)) ignored.push({ key: section, reason: 'not_implemented' });
      else if ([...byPath.keys()].some((p) => p.startsWith(`${section}.`))) {
        throw new ManagedConfigError(file, section, `expected an object, got ${describe(body)}`);
      } else ignored.push({ key: section, reason: 'unknown' });
      continue;
    }
    for (const [k, value] of Object.entries(body as Record<string, unknown>)) seen.push({ path: `${section}.${k}`, value });
  }
  seen.sort((a, b) => Number(byPath.get(b.path)?.legacy ?? false) - Number(byPath.get(a.path)?.legacy ?? false));
  for (const { path, value } of seen) {
    const key = byPath.get(path);
    if (!key) {
      ignored.push({ key: path, reason: isKnownIgnored(path) ? 'not_implemented' : 'unknown' });
      continue;
    }
    try {
      values.set(key.setting, key.parse(value));
    } catch (e) {
      if (e instanceof ParseError) throw new ManagedConfigError(file, path, e.message);
      throw e;
    }
  }
  return { values, ignored };
}

// src/definitions/threat-names.ts — threat type of a signature from its name (ClamAV naming:
// Platform.Category.Family-Id-Rev, optionally prefixed `PUA.`). Owns only this mapping.
import type { ThreatType } from '../engine/types.js';

const PUA_CATEGORIES = new Set(['adware', 'tool', 'pua']);

/**
 * `PUA.` prefix or an Adware/Tool/PUA category → potentially_unwanted_application;
 * a Trojan category → trojan; a Test category (Clamav.Test.File-6, Win.Test.EICAR_HDB-1) → test;
 * anything else → virus. The last dotted part is the family name and is not a category.
 */
export function threatTypeFromName(name: string): ThreatType {
  const parts = name.split('.');
  const categories = parts.slice(0, -1).map((p) => p.toLowerCase());
  if (categories[0] === 'pua' || categories.some((c) => PUA_CATEGORIES.has(c))) return 'potentially_unwanted_application';
  if (categories.includes('trojan')) return 'trojan';
  if (categories.includes('test')) return 'test';
  return 'virus';
}

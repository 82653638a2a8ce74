// src/definitions/generations-load.ts — loads one generation plus the custom drop-in directory
// as an overlay into a DefinitionSet, and judges the result: a problem in a generation file
// (unreadable, bad container, YARA that does not compile, nothing but malformed lines) makes the
// set invalid; the same in a custom file only leaves that file out and becomes a health issue.
// Owns: the validation rule. Must not: switch anything.
import fs from 'node:fs';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import type { NativeBinding } from '../shared/native.js';
import type { DefinitionSet } from './definition-set.js';
import type { LoadReport } from './load-report.js';
import { loadDefinitionSet } from './loader.js';
import type { DefinitionInput } from './sources.js';
import { expandCvdContainer } from './cvd.js';
import type { YaraCompiler } from '../engine/yara/rules.js';

/** How the service loads a set: injected so tests and the daemon choose the native binding. */
export type LoadSetFn = (inputs: DefinitionInput[], opts: { cacheDir?: string }) => Promise<DefinitionSet>;

export function defaultLoadSet(native: NativeBinding | null, yaraCompiler?: YaraCompiler): LoadSetFn {
  return (inputs, opts) =>
    loadDefinitionSet(inputs, { native, expandContainer: expandCvdContainer, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), ...(yaraCompiler ? { yaraCompiler } : {}) });
}

function ownedBy(files: readonly string[]): (text: string) => boolean {
  return (text) => files.some((f) => text === f || text.startsWith(`${f}:`) || text.startsWith(`${f}/`));
}

/** File-level failures of `files` in a load report (empty: the files loaded). */
export function problemsOf(report: LoadReport, files: readonly string[]): string[] {
  const owned = ownedBy(files);
  const out = report.problems.filter(owned);
  for (const fr of report.files) {
    const reported = out.some((p) => p.startsWith(`${fr.file}:`));
    if (owned(fr.file) && !reported && fr.malformed > 0 && fr.loaded === 0) {
      out.push(`${fr.file}: no usable signature (${fr.malformed} malformed${fr.errors[0] ? `; first: ${fr.errors[0]}` : ''})`);
    }
  }
  return out;
}

export interface LoadedOverlay {
  set: DefinitionSet;
  /** Health issues from the custom directory (files left out and why). */
  customIssues: string[];
}

/** The custom directory's own entries: passed to the loader only when it exists. */
function customInputs(customDir: string | null): string[] {
  if (!customDir) return [];
  try {
    return fs.statSync(customDir).isDirectory() ? [path.resolve(customDir)] : [];
  } catch {
    return [];
  }
}

/**
 * Loads generation files + custom overlay. Throws WDAV_ERR_DEFINITIONS_INVALID (and closes the
 * set) when a generation file failed.
 */
export async function loadWithOverlay(load: LoadSetFn, genFiles: string[], customDir: string | null, cacheDir: string | undefined): Promise<LoadedOverlay> {
  const custom = customInputs(customDir);
  const set = await load([...genFiles, ...custom], cacheDir ? { cacheDir } : {});
  const genProblems = problemsOf(set.report, genFiles);
  if (genProblems.length) {
    await set.close();
    throw new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `definitions failed to load: ${genProblems.join('; ')}`, { problems: genProblems });
  }
  const customIssues = custom.length ? problemsOf(set.report, custom).map((p) => `custom definitions skipped: ${p}`) : [];
  return { set, customIssues };
}

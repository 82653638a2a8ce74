// test/helpers/engine-fixtures.ts — small builders for engine and signature tests: a temp
// directory with definition files, a loaded set closed at teardown, an engine, a default
// scan context. Fixtures are generated in the tests; nothing is committed as a sample file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDefinitionSet, type LoadOptions } from '../../src/definitions/loader.js';
import type { DefinitionSet } from '../../src/definitions/definition-set.js';
import type { DefinitionInput } from '../../src/definitions/sources.js';
import { createEngine, type EngineOptions, type ScanEngine } from '../../src/engine/engine.js';
import type { ScanContext, ScanResult } from '../../src/engine/types.js';
import { loadNative } from '../../src/shared/native.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const CTX: ScanContext = { origin: 'on_demand', scanArchives: false, maxFileSize: 0 };

export function tmpDir(t: Teardown, prefix = 'wdav-eng-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes definition files into a fresh directory and returns it. */
export function defsDir(t: Teardown, files: Record<string, string | Buffer>): string {
  const dir = tmpDir(t, 'wdav-defs-');
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

export async function loadSet(t: Teardown, inputs: DefinitionInput[], opts: LoadOptions = {}): Promise<DefinitionSet> {
  const set = await loadDefinitionSet(inputs, { native: loadNative(), env: {}, ...opts });
  t.teardown(() => set.close());
  return set;
}

export async function engineFor(t: Teardown, files: Record<string, string | Buffer>, opts: LoadOptions = {}, eopts: EngineOptions = {}): Promise<ScanEngine> {
  const set = await loadSet(t, [defsDir(t, files)], opts);
  return createEngine({ ...eopts, definitions: set });
}

/** Writes `data` to a fresh file and scans it by path. */
export async function scanData(t: Teardown, engine: ScanEngine, data: string | Buffer, ctx: ScanContext = CTX): Promise<ScanResult> {
  const dir = tmpDir(t, 'wdav-file-');
  const file = path.join(dir, 'sample.bin');
  fs.writeFileSync(file, data);
  return engine.scan({ path: file }, ctx);
}

/** Name of the detection, or the result kind when nothing was detected. */
export function outcome(r: ScanResult): string {
  return r.kind === 'detected' ? r.name : r.kind === 'skipped' ? `skipped:${r.reason}` : r.kind === 'error' ? `error:${r.code}` : 'clean';
}

export const MATCHERS = ['vectorscan', 'yara'] as const;

/**
 * Runs `fn` and reports how busy the event loop was meanwhile: eventLoopUtilization (the
 * fraction of time spent running JS rather than waiting; ~1 when something blocks it) and the
 * longest gap between 2 ms timer ticks (informative; inflated when the machine is overloaded).
 */
export async function withLoopGaps<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; maxGap: number; elu: number }> {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 2);
  const e0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t0, maxGap, elu: performance.eventLoopUtilization(e0).utilization };
  } finally {
    clearInterval(timer);
  }
}

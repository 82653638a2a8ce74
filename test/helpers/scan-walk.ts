// test/helpers/scan-walk.ts — helpers for the on-demand walker tests: a temp directory removed
// at teardown, and a drain that collects every file the walker opened (closing each fd).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../../src/shared/native.js';
import { ScanWalker, type WalkerOptions } from '../../src/scan/walker.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export function tmpDir(t: Teardown, prefix = 'wdav-scan-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Walked {
  paths: string[];
  raws: (Buffer | undefined)[];
  sizes: number[];
  walker: ScanWalker;
}

export async function walkAll(opts: Partial<WalkerOptions> & { roots: string[] }): Promise<Walked> {
  const walker = new ScanWalker(loadNative(), { exclusions: null, ...opts });
  const out: Walked = { paths: [], raws: [], sizes: [], walker };
  for (;;) {
    const b = await walker.next();
    if (!b) break;
    for (let i = 0; i < b.length; i++) {
      out.paths.push(b.path(i));
      out.raws.push(b.raw(i));
      out.sizes.push(b.sizes[i]!);
      // The fd must be a readable regular file.
      const st = fs.fstatSync(b.fds[i]!);
      if (!st.isFile()) throw new Error(`walker returned a non-regular file: ${b.path(i)}`);
      fs.closeSync(b.fds[i]!);
    }
  }
  await walker.close();
  return out;
}

/** Open fds of this process (to check the walker leaks none). */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

// src/scan/targets.ts — what each kind of on-demand scan covers. Quick: MDE's set of
// directories (those that exist); full: / on local filesystems; custom: the paths asked for
// (absolute, existing; a symbolic link given as the path itself is followed, like `find -H`).
// Owns: the sets and the validation of custom paths. Must not: walk.
import fs from 'node:fs';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';

export type ScanType = 'quick' | 'full' | 'custom';
export const SCAN_TYPES: readonly ScanType[] = ['quick', 'full', 'custom'];

export const QUICK_SCAN_PATHS = ['/home', '/tmp', '/var', '/srv', '/opt', '/etc', '/run', '/lib', '/usr', '/boot'] as const;

export const MAX_CUSTOM_PATHS = 64;

export interface ScanTarget {
  type: ScanType;
  roots: string[];
  /** Full scans stay on local filesystems. */
  localOnly: boolean;
}

function exists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

export function scanTarget(type: ScanType, customPaths: readonly string[] = []): ScanTarget {
  switch (type) {
    case 'quick':
      return { type, roots: QUICK_SCAN_PATHS.filter(exists), localOnly: false };
    case 'full':
      return { type, roots: ['/'], localOnly: true };
    case 'custom': {
      if (customPaths.length === 0) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', 'a custom scan needs at least one --path');
      if (customPaths.length > MAX_CUSTOM_PATHS) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `at most ${MAX_CUSTOM_PATHS} paths per custom scan`);
      const roots: string[] = [];
      for (const p of customPaths) {
        if (!path.isAbsolute(p)) throw new WdavError('WDAV_ERR_INVALID_PATH', `the path must be absolute: ${p}`);
        const norm = path.posix.normalize(p);
        let st: fs.Stats;
        try {
          st = fs.statSync(norm);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new WdavError('WDAV_ERR_INVALID_PATH', code === 'ENOENT' || code === 'ENOTDIR' ? `no such file or directory: ${p}` : `cannot access ${p}: ${code ?? (e as Error).message}`);
        }
        if (!st.isDirectory() && !st.isFile()) throw new WdavError('WDAV_ERR_INVALID_PATH', `not a regular file or directory (devices, FIFOs and sockets are never scanned): ${p}`);
        roots.push(norm.length > 1 ? norm.replace(/\/+$/, '') : norm);
      }
      return { type, roots: [...new Set(roots)], localOnly: false };
    }
  }
}

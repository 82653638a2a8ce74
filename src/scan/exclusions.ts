// src/scan/exclusions.ts — the exclusion matcher shared by real-time protection and on-demand
// scans, with MDE's wildcard rules: `?` matches one character within a path component; `*`
// matches within one component, except at the very end of a pattern where it matches the rest
// of the path. A directory exclusion covers everything beneath it. Extensions match the file
// name's suffix; process exclusions match the process name or its full executable path.
// Owns matching only; compiled once per configuration change. Must not: read /proc.
import path from 'node:path';
import type { Exclusion } from '../config/settings.js';

interface PathRule {
  exclusion: Exclusion;
  literal: string | null;
  regex: RegExp | null;
  isDirectory: boolean;
}

function escapeRegex(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

function compilePattern(pattern: string, isDirectory: boolean): RegExp {
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') body += i === pattern.length - 1 ? '.*' : '[^/]*';
    else if (c === '?') body += '[^/]';
    else body += escapeRegex(c);
  }
  return new RegExp(`^${body}${isDirectory ? '(?:/.*)?' : ''}$`, 's');
}

function stripTrailingSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p;
}

export class ExclusionMatcher {
  private readonly pathRules: PathRule[] = [];
  private readonly extensions = new Map<string, Exclusion>();
  private readonly processNames = new Map<string, Exclusion>();
  private readonly processPaths = new Map<string, Exclusion>();
  readonly size: number;

  constructor(exclusions: readonly Exclusion[]) {
    for (const e of exclusions) {
      if (e.kind === 'extension') this.extensions.set(e.extension, e);
      else if (e.kind === 'process') (e.name.startsWith('/') ? this.processPaths : this.processNames).set(e.name, e);
      else {
        // A trailing slash means "folder" in MDE's syntax, whatever isDirectory says.
        const isDirectory = e.isDirectory || e.path.endsWith('/');
        const p = stripTrailingSlash(e.path);
        const wild = /[*?]/.test(p);
        this.pathRules.push({ exclusion: e, literal: wild ? null : p, regex: wild ? compilePattern(p, isDirectory) : null, isDirectory });
      }
    }
    this.size = exclusions.length;
  }

  /** The exclusion that covers this file path, or null. */
  matchFile(filePath: string | Buffer): Exclusion | null {
    const p = typeof filePath === 'string' ? filePath : filePath.toString('utf8');
    if (this.extensions.size > 0) {
      const base = path.posix.basename(p);
      const dot = base.lastIndexOf('.');
      if (dot > 0 || (dot === 0 && base.length > 1)) {
        const hit = this.extensions.get(base.slice(dot));
        if (hit) return hit;
      }
    }
    for (const r of this.pathRules) {
      if (r.literal !== null) {
        if (p === r.literal) return r.exclusion;
        if (r.isDirectory && (r.literal === '/' || p.startsWith(r.literal + '/'))) return r.exclusion;
      } else if (r.regex!.test(p)) return r.exclusion;
    }
    return null;
  }

  /** True when a directory's whole subtree is excluded (lets a walker skip it). */
  coversDirectory(dirPath: string): Exclusion | null {
    for (const r of this.pathRules) {
      if (!r.isDirectory) continue;
      if (r.literal !== null) {
        if (dirPath === r.literal || r.literal === '/' || dirPath.startsWith(r.literal + '/')) return r.exclusion;
      } else if (r.regex!.test(dirPath)) return r.exclusion;
    }
    return null;
  }

  get hasProcessRules(): boolean {
    return this.processNames.size + this.processPaths.size > 0;
  }

  /** The exclusion covering a process, by its name (comm) or executable path. */
  matchProcess(name: string | null, exePath: string | null): Exclusion | null {
    if (exePath) {
      const byPath = this.processPaths.get(exePath);
      if (byPath) return byPath;
      const byBase = this.processNames.get(path.posix.basename(exePath));
      if (byBase) return byBase;
    }
    if (name) return this.processNames.get(name) ?? null;
    return null;
  }
}

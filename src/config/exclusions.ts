// src/config/exclusions.ts — validation of exclusion entries, from the managed file
// (MDE's `$type` objects) and from `mdatp exclusion ... add`. Owns the exclusion value rules.
// Must not: match paths (src/scan/exclusions.ts does).
import type { Exclusion, ExclusionScope } from './settings.js';
import { ParseError, describe } from './parse.js';

const MAX_LEN = 4096;

export function validatePathValue(p: unknown): string {
  if (typeof p !== 'string' || p.length === 0) throw new ParseError(`path must be a non-empty string, got ${describe(p)}`);
  if (p.length > MAX_LEN) throw new ParseError(`path is longer than ${MAX_LEN} characters`);
  if (!p.startsWith('/')) throw new ParseError(`path must be absolute: ${JSON.stringify(p)}`);
  if (/[\0\n\r]/.test(p)) throw new ParseError('path must not contain NUL or line breaks');
  if (p.includes('**')) throw new ParseError(`"**" is not supported in exclusions (MDE rules): ${JSON.stringify(p)}`);
  return p;
}

export function validateExtension(e: unknown): string {
  if (typeof e !== 'string' || e.length === 0) throw new ParseError(`extension must be a non-empty string, got ${describe(e)}`);
  const ext = e.startsWith('.') ? e : `.${e}`;
  if (ext.length < 2 || ext.length > 255 || /[/\0\n\r]/.test(ext)) throw new ParseError(`invalid extension ${JSON.stringify(e)}`);
  return ext;
}

export function validateProcessName(n: unknown): string {
  if (typeof n !== 'string' || n.length === 0) throw new ParseError(`process name must be a non-empty string, got ${describe(n)}`);
  if (n.length > MAX_LEN || /[\0\n\r]/.test(n)) throw new ParseError(`invalid process name ${JSON.stringify(n)}`);
  if (n.includes('/') && !n.startsWith('/')) throw new ParseError(`a process given by path must be absolute: ${JSON.stringify(n)}`);
  return n;
}

export function validateScope(s: unknown): ExclusionScope {
  if (s === undefined) return 'epp';
  if (s === 'epp' || s === 'global') return s;
  throw new ParseError(`scope must be "epp" or "global", got ${describe(s)}`);
}

/** One `$type` entry of antivirusEngine.exclusions. */
export function parseManagedExclusion(v: unknown, index: number): Exclusion {
  const where = `exclusions[${index}]`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParseError(`${where}: expected an object, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  const scope = (() => {
    try {
      return validateScope(o.scopes === undefined ? o.scope : Array.isArray(o.scopes) ? (o.scopes.includes('global') ? 'global' : 'epp') : o.scopes);
    } catch (e) {
      throw new ParseError(`${where}: ${(e as Error).message}`);
    }
  })();
  try {
    switch (o.$type) {
      case 'excludedPath': {
        if (o.isDirectory !== undefined && typeof o.isDirectory !== 'boolean') throw new ParseError(`isDirectory: expected true or false, got ${describe(o.isDirectory)}`);
        return { kind: 'path', path: validatePathValue(o.path), isDirectory: o.isDirectory === true, scope };
      }
      case 'excludedFileExtension':
        return { kind: 'extension', extension: validateExtension(o.extension), scope };
      case 'excludedFileName':
        // In MDE this entry excludes a PROCESS, by name ("cat") or full path ("/bin/cat").
        return { kind: 'process', name: validateProcessName(o.name), scope };
      default:
        throw new ParseError(`$type must be excludedPath, excludedFileExtension or excludedFileName, got ${describe(o.$type)}`);
    }
  } catch (e) {
    throw new ParseError(`${where}: ${(e as Error).message}`);
  }
}

export function exclusionKey(e: Exclusion): string {
  switch (e.kind) {
    case 'path':
      return `path:${e.isDirectory ? 'dir' : 'file'}:${e.path}:${e.scope}`;
    case 'extension':
      return `extension:${e.extension}:${e.scope}`;
    case 'process':
      return `process:${e.name}:${e.scope}`;
  }
}

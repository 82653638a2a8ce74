// src/definitions/sources.ts — turns the loader's inputs (directories, files, in-memory
// members such as the contents of a CVD) into an ordered list of definition files with their
// format. Directories are listed one level deep, sorted by name (signature ids, and so which
// name wins when several match, follow this order); hidden entries are ignored.
// Only what passes the trust rule is listed (src/shared/trust.ts, ARCHITECTURE §3.9): a
// directory, or a file, that someone other than root or the daemon's user could change is
// reported as unreadable, with the path at fault and the fix, and its files are not loaded.
// Owns: enumeration and format by extension. Must not: parse contents.
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { checkTrusted, problemAfter, strictProblem, type TrustKind, type TrustProblem } from '../shared/trust.js';

/** A definition file held in memory, e.g. a member of a CVD/CLD container. */
export interface DefinitionMember {
  name: string;
  data: Buffer;
  /** Shown in reports before the name, e.g. the container path. */
  origin?: string;
}

export type DefinitionInput = string | DefinitionMember;

export type Format = 'hash' | 'hash-pua' | 'allow' | 'ndb' | 'ndb-pua' | 'ign2' | 'ign' | 'yara' | 'container' | 'unsupported';

export interface DefinitionFile {
  /** As reported: the path, or `origin/name` for members. */
  display: string;
  /** Lowercase extension without the dot (the per-format key in reports). */
  ext: string;
  format: Format;
  path?: string;
  data?: Buffer;
}

const FORMATS: Record<string, Format> = {
  hdb: 'hash',
  hsb: 'hash',
  hdu: 'hash-pua',
  hsu: 'hash-pua',
  fp: 'allow',
  sfp: 'allow',
  ndb: 'ndb',
  ndu: 'ndb-pua',
  ign2: 'ign2',
  ign: 'ign',
  yar: 'yara',
  yara: 'yara',
  cvd: 'container',
  cld: 'container',
  cud: 'container',
};

/** ClamAV databases we do not implement: listed in reports as skipped, never silently dropped. */
const UNSUPPORTED = new Set(['ldb', 'ldu', 'mdb', 'mdu', 'msb', 'msu', 'cdb', 'cbc', 'crb', 'ftm', 'gdb', 'idb', 'pdb', 'wdb', 'hwp', 'imp', 'pwdb', 'sdb', 'zmd', 'rmd', 'cat', 'ioc']);

export function formatOf(name: string): { ext: string; format: Format } | undefined {
  const ext = path.extname(name).slice(1).toLowerCase();
  const f = FORMATS[ext];
  if (f) return { ext, format: f };
  if (UNSUPPORTED.has(ext)) return { ext, format: 'unsupported' };
  return undefined;
}

export function memberFile(m: DefinitionMember): DefinitionFile | undefined {
  const f = formatOf(m.name);
  if (!f) return undefined;
  return { display: m.origin ? `${m.origin}/${m.name}` : m.name, ...f, data: m.data };
}

/** Starts with the input, so reports attribute it to the input's file or directory. */
function untrusted(input: string, p: TrustProblem): string {
  return `${input}: ${problemAfter(p, input)}`;
}

/** The trust problem of `p` as a `kind`, or null; a missing path is left to the caller's stat. */
function trustOf(p: string, kind: TrustKind): string | null {
  try {
    const r = checkTrusted(p, kind);
    return r.ok || r.missing ? null : untrusted(p, r.problem);
  } catch (e) {
    // A directory on the way that cannot be searched (EACCES) cannot be judged: not loaded.
    return `${p}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`;
  }
}

/** An entry of a directory that passed: the entry alone (a link: its own way too). */
function entryTrust(p: string): string | null {
  const lst = fsSync.lstatSync(p, { throwIfNoEntry: false });
  if (!lst) return null;
  if (lst.isSymbolicLink()) return trustOf(p, 'file');
  const problem = strictProblem(p, lst, 'file');
  return problem ? untrusted(p, problem) : null;
}

/**
 * Expands inputs in order. A path that cannot be read is returned in `unreadable` (the caller
 * reports it); a directory entry or member with an unknown extension is ignored; an explicitly
 * named file with an unknown extension is reported as unsupported.
 */
export async function listDefinitionFiles(inputs: readonly DefinitionInput[]): Promise<{ files: DefinitionFile[]; unreadable: string[] }> {
  const files: DefinitionFile[] = [];
  const unreadable: string[] = [];
  for (const input of inputs) {
    if (typeof input !== 'string') {
      // Like directory entries: a member that is no signature database (daily.info, .cfg) is ignored.
      const f = memberFile(input);
      if (f) files.push(f);
      continue;
    }
    let st;
    try {
      st = await fs.stat(input);
    } catch (e) {
      unreadable.push(`${input}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      continue;
    }
    const distrust = trustOf(input, st.isDirectory() ? 'dir' : 'file');
    if (distrust) {
      unreadable.push(distrust);
      continue;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = (await fs.readdir(input)).filter((n) => !n.startsWith('.')).sort();
      } catch (e) {
        unreadable.push(`${input}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
        continue;
      }
      for (const n of names) {
        const p = path.join(input, n);
        const f = formatOf(n);
        if (!f) continue;
        const s = await fs.stat(p).catch(() => null);
        if (!s?.isFile()) continue;
        const why = entryTrust(p);
        if (why) unreadable.push(why);
        else files.push({ display: p, path: p, ...f });
      }
    } else if (st.isFile()) {
      files.push({ display: input, path: input, ...(formatOf(input) ?? { ext: path.extname(input).slice(1).toLowerCase() || 'none', format: 'unsupported' as const }) });
    } else {
      unreadable.push(`${input}: not a regular file or directory`);
    }
  }
  return { files, unreadable };
}

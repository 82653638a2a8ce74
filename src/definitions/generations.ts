// src/definitions/generations.ts — definitions generations on disk, under <stateDir>/definitions/:
//   gen-000012/            the definition files + generation.json (version, source, times, files
//                          with sha256 and size) + cache/ (the loader's compiled pattern cache)
//   current.json           {"current": "gen-000012", "previous": "gen-000011"}: switched by
//                          writing a temp file, fsync, rename, fsync of the directory
//   .staging-<random>/     a download in progress; becomes gen-N by rename once complete
// The pointer, generation.json and each generation directory are read only when they pass the
// trust rule (src/shared/trust.ts; the files with a size bound): a generation someone else
// could have changed is invalid, so the previous one (or none) is used and health says why.
// Owns: directories, generation.json, the pointer, pruning. Must not: load definitions (the
// service validates a generation through the loader before it switches the pointer).
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WdavError, errorMessage } from '../shared/errors.js';
import { UntrustedPathError, assertTrusted, readTrusted } from '../shared/trust.js';
import { checkPackageFileName, checkVersion } from './manifest.js';

export interface GenerationFile {
  name: string;
  sha256: string;
  size: number;
}

export interface GenerationMeta {
  format: 1;
  generation: number;
  version: string;
  /** 'package' (our signed format) or 'clamav' (a ClamAV mirror). */
  kind: 'package' | 'clamav';
  /** Where it came from (the update URL or directory). */
  source: string;
  /** When the publisher built it (manifest `created`, CVD build time). */
  created: string | null;
  /** When this machine installed it. */
  installed: string;
  /** The trusted key that verified the package, when one did. */
  signedBy?: string;
  files: GenerationFile[];
}

export interface Generation {
  dir: string;
  name: string;
  meta: GenerationMeta;
}

export interface Pointer {
  current: string | null;
  previous: string | null;
}

const POINTER = 'current.json';
const META = 'generation.json';
const MAX_POINTER = 64 * 1024;
const MAX_META = 16 << 20;
const GEN_RE = /^gen-(\d{6,})$/u;

export function generationName(n: number): string {
  return `gen-${String(n).padStart(6, '0')}`;
}

function invalid(file: string, reason: string): WdavError {
  return new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `${file}: ${reason}`, { file, reason });
}

async function fsyncPath(p: string, dir = false): Promise<void> {
  const fh = await fsp.open(p, dir ? fs.constants.O_RDONLY | fs.constants.O_DIRECTORY : fs.constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  for await (const c of fs.createReadStream(file)) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

function parseMeta(text: string, file: string): GenerationMeta {
  let m: GenerationMeta;
  try {
    m = JSON.parse(text) as GenerationMeta;
  } catch (e) {
    throw invalid(file, `not valid JSON (${errorMessage(e)})`);
  }
  if (!m || m.format !== 1 || !Number.isSafeInteger(m.generation) || checkVersion(m.version) !== null) throw invalid(file, 'missing or bad format/generation/version');
  if (m.kind !== 'package' && m.kind !== 'clamav') throw invalid(file, `unknown kind '${String(m.kind)}'`);
  if (!Array.isArray(m.files) || m.files.length === 0) throw invalid(file, 'no files');
  for (const f of m.files) {
    if (checkPackageFileName(f?.name) !== null || !/^[0-9a-f]{64}$/u.test(f.sha256) || !Number.isSafeInteger(f.size)) {
      throw invalid(file, `bad file entry ${JSON.stringify(f?.name)}`);
    }
  }
  return m;
}

export class GenerationStore {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o755 });
    // Leftovers of a crash mid-download or mid-switch.
    for (const n of await fsp.readdir(this.root)) {
      if (n.startsWith('.staging-') || n.startsWith(`${POINTER}.tmp-`)) await fsp.rm(path.join(this.root, n), { recursive: true, force: true });
    }
  }

  readPointer(): Pointer {
    let text: string;
    try {
      text = readTrusted(path.join(this.root, POINTER), MAX_POINTER).toString('utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { current: null, previous: null };
      if (e instanceof UntrustedPathError) throw invalid(path.join(this.root, POINTER), e.message);
      throw e;
    }
    try {
      const p = JSON.parse(text) as Partial<Pointer>;
      const ok = (v: unknown): v is string | null => v === null || (typeof v === 'string' && GEN_RE.test(v));
      if (ok(p.current) && ok(p.previous ?? null)) return { current: p.current, previous: p.previous ?? null };
    } catch {
      // fall through to the coded error; the service then picks the newest generation that loads
    }
    throw invalid(path.join(this.root, POINTER), 'corrupt pointer file');
  }

  async writePointer(p: Pointer): Promise<void> {
    const file = path.join(this.root, POINTER);
    const tmp = `${file}.tmp-${crypto.randomBytes(6).toString('hex')}`;
    const fh = await fsp.open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(p)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
    await fsyncPath(this.root, true);
  }

  /** Generation directory names on disk, oldest first. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => GEN_RE.test(n)).sort((a, b) => Number(GEN_RE.exec(a)![1]) - Number(GEN_RE.exec(b)![1]));
  }

  private nextNumber(): number {
    const nums = this.list().map((n) => Number(GEN_RE.exec(n)![1]));
    return nums.length ? Math.max(...nums) + 1 : 1;
  }

  async stage(): Promise<string> {
    await fsp.mkdir(this.root, { recursive: true });
    return fsp.mkdtemp(path.join(this.root, '.staging-'));
  }

  async discard(staging: string): Promise<void> {
    await fsp.rm(staging, { recursive: true, force: true });
  }

  /**
   * Seals a staging directory as the next generation: hashes its files into generation.json,
   * fsyncs, and renames it to gen-N. The pointer is NOT switched (the caller validates first).
   */
  async commit(staging: string, meta: Omit<GenerationMeta, 'format' | 'generation' | 'files' | 'installed'>, names: string[]): Promise<Generation> {
    const files: GenerationFile[] = [];
    for (const name of names) {
      const full = path.join(staging, name);
      files.push({ name, ...(await sha256File(full)) });
      await fsyncPath(full);
    }
    const generation = this.nextNumber();
    const full: GenerationMeta = { format: 1, generation, ...meta, installed: new Date().toISOString(), files };
    await fsp.writeFile(path.join(staging, META), `${JSON.stringify(full, null, 2)}\n`, { mode: 0o644 });
    await fsyncPath(path.join(staging, META));
    await fsyncPath(staging, true);
    const name = generationName(generation);
    const dir = path.join(this.root, name);
    await fsp.rename(staging, dir);
    await fsyncPath(this.root, true);
    return { dir, name, meta: full };
  }

  /** Reads a generation and checks its files against generation.json (sizes; SHA-256 when deep). */
  async read(name: string, deep = true): Promise<Generation> {
    const dir = path.join(this.root, name);
    const metaFile = path.join(dir, META);
    let text: string;
    try {
      assertTrusted(dir, 'dir');
      text = readTrusted(metaFile, MAX_META).toString('utf8');
    } catch (e) {
      if (e instanceof UntrustedPathError) throw invalid(metaFile, e.message);
      throw invalid(metaFile, `cannot read (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
    }
    const meta = parseMeta(text, metaFile);
    for (const f of meta.files) {
      const file = path.join(dir, f.name);
      const st = await fsp.stat(file).catch(() => null);
      if (!st?.isFile()) throw invalid(file, 'missing');
      if (st.size !== f.size) throw invalid(file, `size ${st.size} differs from generation.json (${f.size})`);
      if (deep && (await sha256File(file)).sha256 !== f.sha256) throw invalid(file, 'SHA-256 differs from generation.json');
    }
    return { dir, name, meta };
  }

  filesOf(g: Generation): string[] {
    return g.meta.files.map((f) => path.join(g.dir, f.name));
  }

  cacheDir(g: Generation): string {
    return path.join(g.dir, 'cache');
  }

  /** Removes every generation directory not named in `keep`. */
  async prune(keep: ReadonlyArray<string | null>): Promise<string[]> {
    const removed: string[] = [];
    for (const n of this.list()) {
      if (keep.includes(n)) continue;
      await fsp.rm(path.join(this.root, n), { recursive: true, force: true });
      removed.push(n);
    }
    return removed;
  }
}

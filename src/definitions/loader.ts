// src/definitions/loader.ts — loadDefinitionSet(): reads directories, files and in-memory
// members (e.g. CVD contents) into one immutable DefinitionSet. Every ClamAV line is parsed on
// its own: a malformed line is counted and reported (file:line), never aborts the file; a file
// that cannot be read, a YARA file that does not compile or a signature a matcher refuses is
// left out and reported. Body signatures go to Vectorscan (compiled off the event loop, cached
// in opts.cacheDir) or, without libhs or with WDAV_BODY_MATCHER=yara, to libyara.
// Public API:
//   loadDefinitionSet(inputs: (string | { name, data: Buffer, origin? })[], opts?: LoadOptions)
//     → Promise<DefinitionSet>  (never rejects for bad content: see set.report)
//   DefinitionSet: report (LoadReport), bodyMatcher, close(); queried by the engine.
// Owns: the load sequence and the report. Must not: switch generations (generations.ts does).
import fs from 'node:fs/promises';
import { errorMessage } from '../shared/errors.js';
import type { NativeBinding } from '../shared/native.js';
import { patternsBinding } from '../engine/patterns/binding.js';
import { buildVectorscan, type VectorscanMatcher } from '../engine/patterns/vectorscan.js';
import { yaraBinding, type YaraUnit } from '../engine/yara/binding.js';
import { YaraRules, type YaraCompiler, type YaraRuleSet } from '../engine/yara/rules.js';
import { DefinitionSet, type BodyMatcherKind } from './definition-set.js';
import { HashSet, HashSetBuilder, type LineOutcome } from './hash-sigs.js';
import { loadHashFileParallel, PARALLEL_MIN_BYTES } from './hash-parallel.js';
import { nativeHashdb, partFromRaw } from './hashdb-native.js';
import { tallyBuffer, tallyFile } from './hash-tally.js';
import { parseIgnLine } from './ign2.js';
import { forEachFileLine, forEachLine, type LineHandler } from './lines.js';
import { ReportBuilder, type FileReport, type LoadReport } from './load-report.js';
import { parseNdbLine, type BodySig } from './ndb-parse.js';
import { toHyperscan } from './ndb-hyperscan.js';
import { BODY_NAMESPACE, ruleName, toYaraRule } from './ndb-yara.js';
import { listDefinitionFiles, memberFile, type DefinitionFile, type DefinitionInput, type DefinitionMember } from './sources.js';

export interface LoadOptions {
  /** The native addon; without its patterns section the libyara body matcher is used. */
  native?: NativeBinding | null;
  /** 'auto' (default): Vectorscan when available; env WDAV_BODY_MATCHER=yara forces libyara. */
  bodyMatcher?: 'auto' | 'vectorscan' | 'yara';
  /** Where compiled Vectorscan databases are cached (e.g. the generation directory). */
  cacheDir?: string;
  /** Opens a .cvd/.cld/.cud container into its members (src/definitions/cvd.ts). */
  expandContainer?: (file: { display: string; path?: string; data?: Buffer }) => Promise<DefinitionMember[]>;
  env?: NodeJS.ProcessEnv;
  /** Where YARA rules are compiled and later scanned: the daemon's scanner process
   * (src/scanner/yara-rules.ts); default: in this process on the addon's libyara. */
  yaraCompiler?: YaraCompiler;
}

const MAX_YARA_FILE = 64 << 20;

interface PendingSig {
  sig: BodySig;
  report: FileReport;
  line: number;
  pua: boolean;
}

class Loader {
  readonly report = new ReportBuilder();
  readonly hashes: HashSetBuilder;
  readonly puaHashes = new HashSetBuilder();
  readonly allow = new HashSetBuilder();
  readonly ignored = new Set<string>();
  readonly sigs: PendingSig[] = [];
  /** Tables of large hash files parsed on worker threads, by role. */
  readonly hashParts: Record<'hash' | 'hash-pua' | 'allow', HashSet[]> = { hash: [], 'hash-pua': [], allow: [] };
  readonly yaraUnits: YaraUnit[] = [];
  private readonly yaraReports = new Map<string, FileReport>();

  constructor(
    private readonly opts: LoadOptions,
    hashBytes: number,
  ) {
    this.hashes = new HashSetBuilder(hashBytes);
  }

  async load(f: DefinitionFile, depth = 0): Promise<void> {
    const r = this.report.file(f.display, f.ext);
    try {
      switch (f.format) {
        case 'hash':
        case 'hash-pua':
        case 'allow':
          await this.hashFile(f, r);
          break;
        case 'ndb':
        case 'ndb-pua':
          await this.lines(f, r, (buf, s, e, line) => {
            const o = parseNdbLine(buf.toString('latin1', s, e).trim());
            if (o.ok) this.sigs.push({ sig: o.sig, report: r, line, pua: f.format === 'ndb-pua' });
            return o.ok ? { ok: true } : o;
          });
          break;
        case 'ign2':
        case 'ign':
          await this.lines(f, r, (buf, s, e) => {
            const o = parseIgnLine(buf.toString('utf8', s, e).trim(), f.format === 'ign');
            if (o.ok) this.ignored.add(o.name);
            return o.ok ? { ok: true } : o;
          });
          break;
        case 'yara':
          await this.yaraFile(f, r);
          break;
        case 'container':
          await this.container(f, r, depth);
          break;
        case 'unsupported':
          await this.lines(f, r, () => ({ ok: false, skip: `format .${f.ext} not supported` }));
          break;
      }
    } catch (e) {
      this.report.bad(r, undefined, `cannot read: ${errorMessage(e)}`);
      this.report.problem(`${f.display}: cannot read: ${errorMessage(e)}`);
    }
  }

  private async lines(f: DefinitionFile, r: FileReport, parse: (buf: Buffer, s: number, e: number, line: number) => LineOutcome): Promise<void> {
    const onLine: LineHandler = (buf, s, e, line) => {
      while (s < e && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
      if (s === e || buf[s] === 35) return; // blank or `#` comment
      const o = parse(buf, s, e, line);
      if (o.ok) r.loaded++;
      else if ('skip' in o) this.report.skip(r, o.skip);
      else this.report.bad(r, line, o.malformed);
    };
    const tooLong = (line: number): void => this.report.bad(r, line, 'line too long');
    if (f.data) forEachLine(f.data, onLine, tooLong);
    else await forEachFileLine(f.path!, onLine, tooLong);
  }

  /**
   * Hash databases are parsed off the event loop when possible: by the native parser (on the
   * threadpool; large files in several ranges at once), else large files on worker threads;
   * small ones without the addon inline.
   */
  private async hashFile(f: DefinitionFile, r: FileReport): Promise<void> {
    const role = f.format as 'hash' | 'hash-pua' | 'allow';
    const native = nativeHashdb(this.opts.native);
    if (native && f.data) {
      const raw = await native(f.data);
      this.hashParts[role].push(partFromRaw(raw));
      this.report.merge(r, raw.tally, 0);
      return;
    }
    const size = f.path ? (await fs.stat(f.path)).size : 0;
    if (f.path && (native || size >= PARALLEL_MIN_BYTES)) {
      const { set, tallies } = await loadHashFileParallel(f.path, size, native ? (file, s, e) => native(file, s, e) : undefined);
      this.hashParts[role].push(set);
      for (const t of tallies) this.report.merge(r, t.tally, t.lineOffset);
      return;
    }
    const b = role === 'hash' ? this.hashes : role === 'hash-pua' ? this.puaHashes : this.allow;
    this.report.merge(r, f.data ? tallyBuffer(b, f.data) : await tallyFile(b, f.path!), 0);
  }

  private async yaraFile(f: DefinitionFile, r: FileReport): Promise<void> {
    const data = f.data ?? (await readCapped(f.path!, MAX_YARA_FILE));
    if (!data) {
      this.report.bad(r, undefined, 'YARA file larger than 64 MiB');
      this.report.problem(`${f.display}: YARA file larger than 64 MiB`);
      return;
    }
    const source = data.toString('utf8');
    r.loaded = (source.match(/^\s*(?:(?:private|global)\s+)*rule\s+\w+/gm) ?? []).length;
    this.yaraUnits.push({ file: f.display, source });
    this.yaraReports.set(f.display, r);
  }

  private async container(f: DefinitionFile, r: FileReport, depth: number): Promise<void> {
    if (!this.opts.expandContainer || depth > 0) {
      this.report.skip(r, depth > 0 ? 'nested container' : 'no container reader');
      this.report.problem(`${f.display}: container not loaded (${depth > 0 ? 'nested' : 'no CVD reader configured'})`);
      return;
    }
    const members = await this.opts.expandContainer(f);
    r.loaded = members.length;
    for (const m of members) {
      const mf = memberFile({ ...m, origin: m.origin ?? f.display });
      if (mf) await this.load(mf, depth + 1);
    }
  }

  /** Reports YARA compile errors against their files; the body unit is handled by the caller. */
  yaraErrors(errors: { file: string; line?: number; message: string }[]): void {
    for (const e of errors) {
      const r = this.yaraReports.get(e.file);
      if (!r) continue;
      if (r.loaded > 0) this.report.skip(r, 'compile error', r.loaded);
      r.loaded = 0;
      this.report.bad(r, e.line, e.message);
      this.report.problem(`${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`);
    }
  }
}

async function readCapped(file: string, cap: number): Promise<Buffer | undefined> {
  const st = await fs.stat(file);
  if (st.size > cap) return undefined;
  return fs.readFile(file);
}

function chooseMatcher(opts: LoadOptions): { kind: BodyMatcherKind; reason: string } {
  const env = (opts.env ?? process.env)['WDAV_BODY_MATCHER']?.toLowerCase();
  // 'yara-x' is still accepted: the fallback ran on YARA-X before it moved to libyara.
  const want = env === 'yara' || env === 'yara-x' ? 'yara' : env === 'vectorscan' ? 'vectorscan' : (opts.bodyMatcher ?? 'auto');
  const available = patternsBinding(opts.native) !== null;
  if (want === 'yara') return { kind: 'yara', reason: env ? 'forced by WDAV_BODY_MATCHER' : 'forced by configuration' };
  if (available) return { kind: 'vectorscan', reason: 'libhs (Vectorscan/Hyperscan) available' };
  return { kind: 'yara', reason: want === 'vectorscan' ? 'Vectorscan requested but the native addon was built without libhs' : 'native addon built without libhs' };
}

export async function loadDefinitionSet(inputs: readonly DefinitionInput[], opts: LoadOptions = {}): Promise<DefinitionSet> {
  const t0 = performance.now();
  const { files, unreadable } = await listDefinitionFiles(inputs);
  let hashBytes = 0;
  for (const f of files) {
    if (f.format !== 'hash') continue;
    hashBytes += f.data ? f.data.length : ((await fs.stat(f.path!).catch(() => null))?.size ?? 0);
  }
  const l = new Loader(opts, hashBytes);
  for (const u of unreadable) l.report.problem(u);
  for (const f of files) await l.load(f);

  const sigs = l.sigs.filter((p) => {
    if (!l.ignored.has(p.sig.name)) return true;
    p.report.loaded--;
    l.report.skip(p.report, 'ignored (ign2)');
    return false;
  });
  let { kind, reason } = chooseMatcher(opts);
  let vectorscan: VectorscanMatcher | undefined;
  let patternDb: LoadReport['patternDb'];
  const units = [...l.yaraUnits];
  if (sigs.length && kind === 'vectorscan') {
    try {
      vectorscan = await buildVectorscan(patternsBinding(opts.native)!, sigs.map((p) => toHyperscan(p.sig)), opts.cacheDir);
      for (const rej of vectorscan.rejected) {
        const p = sigs[rej.index];
        if (p) l.report.refused(p.report, p.line, 'refused by Vectorscan', `${p.sig.name}: ${rej.message}`);
      }
      patternDb = { ...vectorscan.info, rejected: vectorscan.rejected.length };
      if (vectorscan.info.cacheError) l.report.problem(`pattern cache: ${vectorscan.info.cacheError}`);
    } catch (e) {
      l.report.problem(`Vectorscan could not compile the body signatures (${errorMessage(e)}); using libyara`);
      [kind, reason] = ['yara', `Vectorscan compile failed: ${errorMessage(e)}`];
    }
  }
  const BODY_UNIT = '<body signatures>';
  if (sigs.length && kind === 'yara') {
    units.push({ file: BODY_UNIT, source: sigs.map((p, id) => toYaraRule(p.sig, id)).join('\n'), namespace: BODY_NAMESPACE, perLine: true });
  }
  let yara: YaraRuleSet | undefined;
  const yb = yaraBinding(opts.native);
  const compile = opts.yaraCompiler ?? (yb ? (u: YaraUnit[]) => YaraRules.compile(yb, u) : undefined);
  if (units.length && !compile) {
    l.report.problem('YARA rules not loaded: the native addon has no libyara section');
  } else if (units.length) {
    // A compiler that cannot work at all (the scanner is gone) rejects: the load fails and the
    // previous set stays, rather than a set without its YARA rules.
    const compiled = await compile!(units);
    if (compiled.rules) yara = compiled.rules;
    l.yaraErrors(compiled.errors);
    for (const e of compiled.errors) {
      if (e.file !== BODY_UNIT) continue;
      const p = e.line !== undefined ? sigs[e.line - 1] : undefined;
      if (p) l.report.refused(p.report, p.line, 'refused by libyara', `${p.sig.name} (${ruleName(e.line! - 1)}): ${e.message}`);
      else l.report.problem(`body signatures in libyara: ${e.message}`);
    }
  }
  const hashes = HashSet.merge([l.hashes.build(), ...l.hashParts.hash]);
  const puaHashes = HashSet.merge([l.puaHashes.build(), ...l.hashParts['hash-pua']]);
  const allow = HashSet.merge([l.allow.build(), ...l.hashParts.allow]);
  const report: LoadReport = {
    files: l.report.files,
    formats: l.report.formats(),
    malformed: l.report.malformed,
    problems: l.report.problems,
    bodyMatcher: kind,
    bodyMatcherReason: reason,
    ...(patternDb ? { patternDb } : {}),
    counts: {
      hashSignatures: hashes.count + puaHashes.count,
      allowList: allow.count,
      bodySignatures: Object.entries(l.report.formats()).reduce((n, [ext, c]) => (ext === 'ndb' || ext === 'ndu' ? n + c.loaded : n), 0),
      yaraRuleFiles: l.yaraUnits.length,
      ignoredNames: l.ignored.size,
      hashTableBytes: hashes.bytes + puaHashes.bytes + allow.bytes,
    },
    loadMs: Math.round(performance.now() - t0),
  };
  return new DefinitionSet({
    report: deepFreeze(report),
    hashes,
    puaHashes,
    allow,
    ignored: l.ignored,
    bodyNames: sigs.map((p) => p.sig.name),
    bodyPua: Uint8Array.from(sigs, (p) => (p.pua ? 1 : 0)),
    ...(vectorscan ? { vectorscan } : {}),
    ...(yara ? { yara } : {}),
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

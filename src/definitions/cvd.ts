// src/definitions/cvd.ts — ClamAV CVD/CLD containers: the 512-byte header
// `ClamAV-VDB:build time:version:sigs:functionality level:MD5:dsig:builder:stime` (space padded),
// the MD5 of the body (CVD), the body as tar.gz or plain tar (told apart by magic), and the
// members (name + Buffer) handed to the definitions loader. Member sizes and SHA-256 sums listed
// in the container's own `.info` member are checked too.
// Not verified: the `dsig` field (ClamAV's own RSA scheme and key) — authenticity comes from the
// transport and from our Ed25519-signed packages (docs/definitions.md).
// Owns: the container format. Must not: parse the signature files inside (the loader does).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { WdavError, errorMessage } from '../shared/errors.js';
import { ByteReader } from '../engine/archives/byte-reader.js';
import { readTar } from '../engine/archives/tar-reader.js';
import { type ByteSource, BufferSource, FdSource } from '../engine/archives/source.js';

export const CVD_HEADER_SIZE = 512;

export interface CvdHeader {
  /** From the file name: a CLD is what freshclam builds locally after applying cdiffs. */
  kind: 'cvd' | 'cld';
  buildTime: string;
  version: number;
  sigs: number;
  functionalityLevel: number;
  md5: string;
  dsig: string;
  builder: string;
  /** Build time in seconds since the epoch; 0 in old files that lack it. */
  stime: number;
}

export interface CvdMember {
  /** The member's own name, e.g. `main.hdb`. */
  name: string;
  data: Buffer;
}

export interface CvdLimits {
  maxFileBytes: number;
  maxMemberBytes: number;
  maxTotalBytes: number;
  maxMembers: number;
}

const GiB = 1024 * 1024 * 1024;
/** Generous for the official main.cvd (about 170 MB compressed) while refusing absurd sizes. */
export const DEFAULT_CVD_LIMITS: Readonly<CvdLimits> = Object.freeze({
  maxFileBytes: 1 * GiB,
  maxMemberBytes: 1 * GiB,
  maxTotalBytes: 2 * GiB,
  maxMembers: 1000,
});

/** Member extensions ClamAV loads from a container: each must be listed in the .info when there is one. */
const DB_EXTENSIONS = new Set(
  'db hdb hdu hsb hsu mdb mdu msb msu ndb ndu ldb ldu idb fp sfp ign ign2 cdb cbc crb cat cfg ftm gdb imp ioc pdb pwdb wdb yar yara info'.split(' '),
);

export type CvdInput = { path: string } | { name: string; data: Buffer };

export interface CvdOptions {
  limits?: Partial<CvdLimits>;
  /** Overrides the kind told by the file name (.cvd / .cld). */
  kind?: 'cvd' | 'cld';
}

function invalid(file: string, reason: string): WdavError {
  return new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `${file}: ${reason}`, { file, reason });
}

function kindOf(file: string, opts?: CvdOptions): 'cvd' | 'cld' {
  if (opts?.kind) return opts.kind;
  return path.extname(file).toLowerCase() === '.cld' ? 'cld' : 'cvd';
}

function uint(field: string | undefined, what: string, file: string): number {
  if (field === undefined || !/^\d{1,15}$/u.test(field)) throw invalid(file, `bad header: ${what} '${field ?? ''}' is not a number`);
  return Number(field);
}

/** Parses the 512-byte header block; throws WDAV_ERR_DEFINITIONS_INVALID naming the file. */
export function parseCvdHeader(block: Buffer, file: string, kind: 'cvd' | 'cld' = kindOf(file)): CvdHeader {
  if (block.length < CVD_HEADER_SIZE) throw invalid(file, `truncated header (${block.length} of ${CVD_HEADER_SIZE} bytes)`);
  const text = block.subarray(0, CVD_HEADER_SIZE).toString('latin1').replace(/[\s\0]+$/u, '');
  if (!text.startsWith('ClamAV-VDB:')) throw invalid(file, "bad header: missing 'ClamAV-VDB:' magic");
  if (/[\0\r\n]/u.test(text)) throw invalid(file, 'bad header: control characters inside the header');
  const f = text.split(':');
  if (f.length < 8) throw invalid(file, `bad header: ${f.length} fields, expected at least 8`);
  const md5 = f[5]!;
  if (kind === 'cvd' && !/^[0-9a-fA-F]{32}$/u.test(md5)) throw invalid(file, `bad header: MD5 field '${md5.slice(0, 40)}' is not 32 hex digits`);
  return {
    kind,
    buildTime: f[1]!,
    version: uint(f[2], 'version', file),
    sigs: uint(f[3], 'signature count', file),
    functionalityLevel: uint(f[4], 'functionality level', file),
    md5: md5.toLowerCase(),
    dsig: f[6]!,
    builder: f[7]!,
    stime: f[8] !== undefined && f[8] !== '' ? uint(f[8], 'stime', file) : 0,
  };
}

async function openInput(input: CvdInput, limits: CvdLimits): Promise<{ src: ByteSource; file: string }> {
  if ('data' in input) {
    if (input.data.length > limits.maxFileBytes) throw invalid(input.name, `${input.data.length} bytes exceeds the ${limits.maxFileBytes}-byte limit`);
    return { src: new BufferSource(input.data), file: input.name };
  }
  let fd: number;
  try {
    fd = fs.openSync(input.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    throw invalid(input.path, `cannot open: ${errorMessage(e)}`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile() || st.size > limits.maxFileBytes) {
    fs.closeSync(fd);
    throw invalid(input.path, st.isFile() ? `${st.size} bytes exceeds the ${limits.maxFileBytes}-byte limit` : 'not a regular file');
  }
  return { src: new FdSource(fd, st.size, true), file: input.path };
}

function resolveLimits(partial?: Partial<CvdLimits>): CvdLimits {
  return { ...DEFAULT_CVD_LIMITS, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) };
}

async function bodyMd5(src: ByteSource): Promise<string> {
  const h = crypto.createHash('md5');
  for await (const c of src.chunks(CVD_HEADER_SIZE)) h.update(c);
  return h.digest('hex');
}

export interface CvdCheck {
  header: CvdHeader;
  /** True for a CVD (always checked); a CLD's header MD5 belongs to the CVD it was built from. */
  md5Verified: boolean;
  size: number;
}

/** Header and body MD5 only, without extracting: what an update checks right after a download. */
export async function checkCvd(input: CvdInput, opts: CvdOptions = {}): Promise<CvdCheck> {
  const limits = resolveLimits(opts.limits);
  const { src, file } = await openInput(input, limits);
  try {
    return await check(src, file, kindOf(file, opts));
  } finally {
    await src.close();
  }
}

async function check(src: ByteSource, file: string, kind: 'cvd' | 'cld'): Promise<CvdCheck> {
  const header = parseCvdHeader(await src.head(CVD_HEADER_SIZE), file, kind);
  if (src.size === CVD_HEADER_SIZE) throw invalid(file, 'truncated: no body after the header');
  if (kind === 'cvd') {
    const md5 = await bodyMd5(src);
    if (md5 !== header.md5) throw invalid(file, `MD5 mismatch: header says ${header.md5}, body is ${md5} (truncated or corrupted download?)`);
  }
  return { header, md5Verified: kind === 'cvd', size: src.size };
}

interface InfoEntry {
  size: number;
  sha256: string;
}

/** `<db>.info`: the header line, `name:size:sha256` lines, a DSIG line. */
function parseInfo(data: Buffer): Map<string, InfoEntry> {
  const out = new Map<string, InfoEntry>();
  for (const line of data.toString('latin1').split(/\r?\n/u)) {
    const m = /^([^:/]+):(\d+):([0-9a-fA-F]{64})$/u.exec(line.trim());
    if (m) out.set(m[1]!, { size: Number(m[2]), sha256: m[3]!.toLowerCase() });
  }
  return out;
}

/**
 * The members of a CVD/CLD one at a time (so a loader may drop each Buffer when done), after the
 * header and MD5 are verified. Throws WDAV_ERR_DEFINITIONS_INVALID naming the file and the reason,
 * at the latest when the last member has been read (for the .info cross-check).
 */
export async function* cvdMembers(input: CvdInput, opts: CvdOptions = {}): AsyncGenerator<CvdMember, CvdCheck> {
  const limits = resolveLimits(opts.limits);
  const { src, file } = await openInput(input, limits);
  try {
    const result = await check(src, file, kindOf(file, opts));
    const body = src.chunks(CVD_HEADER_SIZE);
    const magic = (await src.head(CVD_HEADER_SIZE + 2)).subarray(CVD_HEADER_SIZE);
    let stream: AsyncIterable<Buffer> = body;
    let gunzip: zlib.Gunzip | null = null;
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      gunzip = zlib.createGunzip();
      pipeline(Readable.from(body), gunzip, () => undefined);
      stream = gunzip;
    }
    const reader = new ByteReader(stream);
    const seen = new Map<string, string>();
    let info: Map<string, InfoEntry> | null = null;
    let total = 0;
    try {
      for await (const e of readTar(reader)) {
        if (e.typeflag !== '0' && e.typeflag !== '\0') throw invalid(file, `member '${e.name}' has tar type '${e.typeflag}'; only regular files are allowed`);
        if (e.name === '' || e.name.includes('/') || e.name === '.' || e.name === '..') throw invalid(file, `member name '${e.name}' is not a plain file name`);
        if (seen.has(e.name)) throw invalid(file, `member '${e.name}' appears twice`);
        if (seen.size + 1 > limits.maxMembers) throw invalid(file, `more than ${limits.maxMembers} members`);
        if (e.size > limits.maxMemberBytes) throw invalid(file, `member '${e.name}' of ${e.size} bytes exceeds the ${limits.maxMemberBytes}-byte limit`);
        total += e.size;
        if (total > limits.maxTotalBytes) throw invalid(file, `members exceed ${limits.maxTotalBytes} bytes in total`);
        const parts: Buffer[] = [];
        for await (const c of e.body) parts.push(c);
        const data = Buffer.concat(parts, e.size);
        const sha = crypto.createHash('sha256').update(data).digest('hex');
        seen.set(e.name, sha);
        if (e.name.toLowerCase().endsWith('.info')) info = parseInfo(data);
        verifyAgainstInfo(file, info, e.name, data.length, sha);
        yield { name: e.name, data };
      }
    } catch (e) {
      if (e instanceof WdavError) throw e;
      throw invalid(file, `body: ${errorMessage(e)}`);
    } finally {
      await reader.close();
      gunzip?.destroy();
    }
    if (seen.size === 0) throw invalid(file, 'the body holds no members');
    if (info) {
      for (const [name, entry] of info) {
        const sha = seen.get(name);
        if (sha === undefined) throw invalid(file, `member '${name}' listed in the .info is missing (truncated?)`);
        verifyAgainstInfo(file, info, name, entry.size, sha);
      }
      for (const name of seen.keys()) {
        const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
        if (DB_EXTENSIONS.has(ext) && ext !== 'info' && !info.has(name)) throw invalid(file, `member '${name}' is not listed in the .info`);
      }
    }
    return result;
  } finally {
    await src.close();
  }
}

function verifyAgainstInfo(file: string, info: Map<string, InfoEntry> | null, name: string, size: number, sha: string): void {
  const entry = info?.get(name);
  if (!entry) return;
  if (entry.size !== size) throw invalid(file, `member '${name}' is ${size} bytes, the .info says ${entry.size}`);
  if (entry.sha256 !== sha) throw invalid(file, `member '${name}' SHA-256 does not match the .info`);
}

export interface CvdContents extends CvdCheck {
  members: CvdMember[];
}

/** All members at once (small containers, tests); prefer cvdMembers() for the official databases. */
export async function readCvd(input: CvdInput, opts: CvdOptions = {}): Promise<CvdContents> {
  const members: CvdMember[] = [];
  const it = cvdMembers(input, opts);
  for (;;) {
    const r = await it.next();
    if (r.done) return { ...r.value, members };
    members.push(r.value);
  }
}

/** Container metadata ClamAV keeps inside a CVD; not definitions. */
function isContainerMetadata(name: string): boolean {
  return name === 'COPYING' || name.toLowerCase().endsWith('.info');
}

/**
 * The loader's expandContainer hook (LoadOptions.expandContainer): the definitions members of a
 * .cvd/.cld, labelled with the container as their origin (`main.cvd/main.hdb` in reports).
 */
export async function expandCvdContainer(file: { display: string; path?: string; data?: Buffer }): Promise<Array<{ name: string; data: Buffer; origin: string }>> {
  const input: CvdInput = file.path ? { path: file.path } : { name: file.display, data: file.data ?? Buffer.alloc(0) };
  const out: Array<{ name: string; data: Buffer; origin: string }> = [];
  for await (const m of cvdMembers(input)) {
    if (!isContainerMetadata(m.name)) out.push({ name: m.name, data: m.data, origin: file.display });
  }
  return out;
}

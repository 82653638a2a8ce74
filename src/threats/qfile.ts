// src/threats/qfile.ts — the quarantine file format and the per-install key.
// A quarantine file is: magic `WDAVQF01`, a 4-byte big-endian header length, a JSON header
// that describes the item completely (so an item can be recovered even if its database row
// was lost), then the file's bytes encrypted with AES-256-CTR under the per-install key
// (<state>/quarantine.key, 32 random bytes, 0600) and a fresh IV per file: stored content is
// neither executable nor matchable by any scanner. Integrity is the plaintext sha256 in the
// header and in the database, checked on every read.
// Owns the format, the key file and streaming encryption. Must not: decide what to quarantine.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import { readChunks, writeAll } from './safe-fs.js';

export const MAGIC = Buffer.from('WDAVQF01');
// The header holds the original path, which may be as deep as the scanners go (4096 levels of
// up to 255 bytes: about 1 MiB, up to 5x that as JSON-escaped \xHH text, plus base64 raw bytes).
const MAX_HEADER = 8 * 1024 * 1024;
export const KEY_FILE = 'quarantine.key';

export interface QHeader {
  v: 1;
  cipher: 'aes-256-ctr';
  keyId: string;
  iv: string;
  threatId: string;
  name: string;
  threatType: string;
  path: string;
  /** base64 of the exact path bytes when the path is not valid UTF-8. */
  rawPath: string | null;
  memberPath: string | null;
  source: string;
  engine: string;
  detectedAt: number;
  quarantinedAt: number;
  sha256: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  atimeNs: string;
  mtimeNs: string;
  dev: string;
  ino: string;
}

export type HeaderFields = Omit<QHeader, 'v' | 'cipher' | 'keyId' | 'iv'>;

/** Reads the key, creating it once (race-free: written aside, then linked into place). */
export function loadOrCreateKey(stateDir: string): Buffer {
  const file = path.join(stateDir, KEY_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile()) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', `${file} is not a regular file`);
      if ((st.mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
      const key = fs.readFileSync(file);
      if (key.length !== 32) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', `${file} is damaged (${key.length} bytes, expected 32); quarantined files cannot be read without it`);
      return key;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      fs.writeSync(fd, randomBytes(32));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.unlinkSync(tmp);
    }
    const dfd = fs.openSync(stateDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }
  throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', `cannot create ${file}`);
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Writes header + encrypted content of `source` (an fd, read with pread) into `out`; returns the plaintext digest and size. */
export async function writeQuarantineFile(out: FileHandle, key: Buffer, fields: HeaderFields, sourceFd: number): Promise<{ sha256: string; size: number }> {
  const iv = randomBytes(16);
  const header: QHeader = { v: 1, cipher: 'aes-256-ctr', keyId: keyId(key), iv: iv.toString('hex'), ...fields };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', 'quarantine header too large (path too long)');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  await writeAll(out, Buffer.concat([MAGIC, len, json]));
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of readChunks(sourceFd)) {
    hash.update(chunk);
    size += chunk.length;
    await writeAll(out, cipher.update(chunk));
  }
  await writeAll(out, cipher.final());
  return { sha256: hash.digest('hex'), size };
}

export async function readHeader(h: FileHandle): Promise<{ header: QHeader; dataOffset: number }> {
  const pre = Buffer.alloc(12);
  const { bytesRead } = await h.read(pre, 0, 12, 0);
  if (bytesRead < 12 || !pre.subarray(0, 8).equals(MAGIC)) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'not a quarantine file (bad magic)');
  const n = pre.readUInt32BE(8);
  if (n === 0 || n > MAX_HEADER) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', `bad quarantine header length ${n}`);
  const buf = Buffer.alloc(n);
  const r = await h.read(buf, 0, n, 12);
  if (r.bytesRead !== n) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'truncated quarantine header');
  let header: QHeader;
  try {
    header = JSON.parse(buf.toString('utf8')) as QHeader;
  } catch {
    throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'quarantine header is not valid JSON');
  }
  if (header.v !== 1 || header.cipher !== 'aes-256-ctr' || typeof header.iv !== 'string' || typeof header.sha256 !== 'string') {
    throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'unsupported quarantine header');
  }
  return { header, dataOffset: 12 + n };
}

/**
 * Decrypts a quarantine file, feeding the plaintext to `sink` (if any), and checks it against
 * the header's size and sha256. Throws WDAV_ERR_QUARANTINE_DAMAGED when it does not match.
 */
export async function readQuarantineFile(file: string, key: Buffer, sink?: (chunk: Buffer) => Promise<void>): Promise<QHeader> {
  const h = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const { header, dataOffset } = await readHeader(h);
    if (header.keyId !== keyId(key)) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', `${path.basename(file)} was encrypted with another key (${header.keyId})`);
    const decipher = createDecipheriv('aes-256-ctr', key, Buffer.from(header.iv, 'hex'));
    const hash = createHash('sha256');
    let size = 0;
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = dataOffset; ; ) {
      const { bytesRead } = await h.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const plain = decipher.update(buf.subarray(0, bytesRead));
      hash.update(plain);
      size += plain.length;
      if (sink) await sink(plain);
    }
    const digest = hash.digest('hex');
    if (size !== header.size || digest !== header.sha256) {
      throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', `${path.basename(file)} does not match its recorded sha256/size (content damaged)`);
    }
    return header;
  } finally {
    await h.close();
  }
}

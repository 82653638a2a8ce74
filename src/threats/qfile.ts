// src/threats/qfile.ts — the quarantine file format and the per-install key.
// A quarantine file (format 2) is: magic `WDAVQF02`, a 4-byte big-endian header length, a JSON
// header that describes the item completely (so an item can be recovered even if its database
// row was lost), the file's bytes encrypted with AES-256-CTR (a fresh IV per file: stored
// content is neither executable nor matchable by any scanner), and a 32-byte HMAC-SHA256 tag
// over everything before it. Encryption and MAC keys are derived from the per-install key
// (<state>/quarantine.key, 32 random bytes, 0600) with HKDF under distinct labels.
// The tag is what makes an item the daemon's own: CTR alone lets anyone who knows a plaintext
// rewrite it without the key, and the header (path, owner, mode) is what restore obeys. Every
// read checks the tag before it hands out a byte (WDAV_ERR_QUARANTINE_UNAUTHENTIC: forged,
// edited, or format 1, which had no tag), then the plaintext sha256 and size.
// Owns the format, the key file and streaming encryption. Must not: decide what to quarantine.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual, type Hmac } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import { readTrusted } from '../shared/trust.js';
import { readChunks, writeAll } from './safe-fs.js';

export const MAGIC = Buffer.from('WDAVQF02');
/** Format 1 (no authentication tag): recognised only to say why it is refused. */
export const MAGIC_V1 = Buffer.from('WDAVQF01');
// The header holds the original path, which may be as deep as the scanners go (4096 levels of
// up to 255 bytes: about 1 MiB, up to 5x that as JSON-escaped \xHH text, plus base64 raw bytes).
const MAX_HEADER = 8 * 1024 * 1024;
const TAG_BYTES = 32;
export const KEY_FILE = 'quarantine.key';

export interface QHeader {
  v: 2;
  cipher: 'aes-256-ctr';
  mac: 'hmac-sha256';
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

export type HeaderFields = Omit<QHeader, 'v' | 'cipher' | 'mac' | 'keyId' | 'iv'>;

/**
 * Reads the key, creating it once (race-free: written aside, then linked into place). The key
 * is read through the trust rule (owned by root or the daemon's user, not writable by others,
 * a regular file, at most 32 bytes read); the daemon's 'state' stage has already refused a key
 * others could read or write.
 */
export function loadOrCreateKey(stateDir: string): Buffer {
  const file = path.join(stateDir, KEY_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const key = readTrusted(file, 32);
      if (key.length !== 32) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', `${file} is damaged (${key.length} bytes, expected 32); quarantined files cannot be read without it`);
      return key;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'WDAV_ERR_FILE_TOO_LARGE') throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', `${file} is damaged (more than 32 bytes); quarantined files cannot be read without it`);
      if (code !== 'ENOENT') throw e;
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

/** The encryption and MAC keys of format 2: one secret, two labels, so neither key is the other. */
function subkey(key: Buffer, label: 'encryption' | 'authentication'): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `wdavdaemon quarantine v2 ${label}`, 32));
}

function unauthentic(file: string, why: string): WdavError {
  return new WdavError('WDAV_ERR_QUARANTINE_UNAUTHENTIC', `quarantine item ${path.basename(file)} failed authentication (${why}): it is never restored; remove it with mdatp threat quarantine remove`, { file: path.basename(file), why });
}

/** Writes header + encrypted content of `source` (an fd, read with pread) + tag into `out`; returns the plaintext digest and size. */
export async function writeQuarantineFile(out: FileHandle, key: Buffer, fields: HeaderFields, sourceFd: number): Promise<{ sha256: string; size: number }> {
  const iv = randomBytes(16);
  const header: QHeader = { v: 2, cipher: 'aes-256-ctr', mac: 'hmac-sha256', keyId: keyId(key), iv: iv.toString('hex'), ...fields };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER) throw new WdavError('WDAV_ERR_QUARANTINE_FAILED', 'quarantine header too large (path too long)');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  const head = Buffer.concat([MAGIC, len, json]);
  const mac = createHmac('sha256', subkey(key, 'authentication')).update(head);
  await writeAll(out, head);
  const cipher = createCipheriv('aes-256-ctr', subkey(key, 'encryption'), iv);
  const hash = createHash('sha256');
  let size = 0;
  const put = async (enc: Buffer) => {
    mac.update(enc);
    await writeAll(out, enc);
  };
  for await (const chunk of readChunks(sourceFd)) {
    hash.update(chunk);
    size += chunk.length;
    await put(cipher.update(chunk));
  }
  await put(cipher.final());
  await writeAll(out, mac.digest());
  return { sha256: hash.digest('hex'), size };
}

/**
 * The header as written, NOT authenticated: for a first look only (reconciliation matches an
 * orphan to its record by it). Anything acted on must come from readQuarantineFile.
 */
export async function readHeader(h: FileHandle): Promise<{ header: QHeader; dataOffset: number; head: Buffer }> {
  const pre = Buffer.alloc(12);
  const { bytesRead } = await h.read(pre, 0, 12, 0);
  if (bytesRead >= 8 && pre.subarray(0, 8).equals(MAGIC_V1)) throw new WdavError('WDAV_ERR_QUARANTINE_UNAUTHENTIC', 'format 1, made before items were authenticated');
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
  if (header.v !== 2 || header.cipher !== 'aes-256-ctr' || header.mac !== 'hmac-sha256' || typeof header.iv !== 'string' || typeof header.sha256 !== 'string') {
    throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'unsupported quarantine header');
  }
  return { header, dataOffset: 12 + n, head: Buffer.concat([pre, buf]) };
}

/** Feeds bytes [from, to) of `h` to `each`, in 1 MiB preads. */
async function eachRange(h: FileHandle, from: number, to: number, each: (b: Buffer) => Promise<void> | void): Promise<void> {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = from; pos < to; ) {
    const { bytesRead } = await h.read(buf, 0, Math.min(buf.length, to - pos), pos);
    if (bytesRead === 0) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'quarantine file shrank while it was read');
    pos += bytesRead;
    await each(buf.subarray(0, bytesRead));
  }
}

async function readTag(h: FileHandle, at: number): Promise<Buffer> {
  const tag = Buffer.alloc(TAG_BYTES);
  const { bytesRead } = await h.read(tag, 0, TAG_BYTES, at);
  if (bytesRead !== TAG_BYTES) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', 'truncated quarantine file');
  return tag;
}

function tagMatches(mac: Hmac, tag: Buffer): boolean {
  return timingSafeEqual(mac.digest(), tag);
}

export interface ReadExpect {
  /** The item must belong to this threat (an authentic item of another threat is refused). */
  threatId?: string;
  /** ...and hold this content. */
  sha256?: string;
}

/**
 * Authenticates and decrypts a quarantine file. With a `sink`, the whole file is authenticated
 * first and only then is plaintext fed to it (nothing unauthenticated is ever written); the tag
 * is checked again over the bytes actually decrypted. Then the plaintext must match the
 * header's size and sha256. Throws WDAV_ERR_QUARANTINE_UNAUTHENTIC (forged, edited, another
 * key, format 1, not the expected item) or WDAV_ERR_QUARANTINE_DAMAGED.
 */
export async function readQuarantineFile(file: string, key: Buffer, sink?: (chunk: Buffer) => Promise<void>, expect: ReadExpect = {}): Promise<QHeader> {
  const h = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const st = await h.stat();
    if (!st.isFile()) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', `${path.basename(file)} is not a regular file`);
    let parsed;
    try {
      parsed = await readHeader(h);
    } catch (e) {
      if ((e as WdavError).code === 'WDAV_ERR_QUARANTINE_UNAUTHENTIC') throw unauthentic(file, (e as Error).message);
      throw e;
    }
    const { header, dataOffset, head } = parsed;
    if (header.keyId !== keyId(key)) throw unauthentic(file, `made with another key (${header.keyId})`);
    const end = st.size - TAG_BYTES;
    if (end < dataOffset) throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', `${path.basename(file)} is truncated`);
    const tag = await readTag(h, end);
    const macKey = subkey(key, 'authentication');
    if (sink) {
      const pre = createHmac('sha256', macKey).update(head);
      await eachRange(h, dataOffset, end, (b) => void pre.update(b));
      if (!tagMatches(pre, tag)) throw unauthentic(file, 'the tag does not match: forged or modified');
    }
    if (expect.threatId !== undefined && header.threatId !== expect.threatId) throw unauthentic(file, `it belongs to threat ${header.threatId}`);
    if (expect.sha256 !== undefined && header.sha256 !== expect.sha256) throw unauthentic(file, 'it holds other content than its record');
    const mac = createHmac('sha256', macKey).update(head);
    const decipher = createDecipheriv('aes-256-ctr', subkey(key, 'encryption'), Buffer.from(header.iv, 'hex'));
    const hash = createHash('sha256');
    let size = 0;
    await eachRange(h, dataOffset, end, async (b) => {
      mac.update(b);
      const plain = decipher.update(b);
      hash.update(plain);
      size += plain.length;
      if (sink) await sink(plain);
    });
    if (!tagMatches(mac, tag)) throw unauthentic(file, 'the tag does not match: forged or modified');
    if (size !== header.size || hash.digest('hex') !== header.sha256) {
      throw new WdavError('WDAV_ERR_QUARANTINE_DAMAGED', `${path.basename(file)} does not match its recorded sha256/size (content damaged)`);
    }
    return header;
  } finally {
    await h.close();
  }
}

/** The format of a quarantine file by its magic: 2, 1 (unauthenticated, refused), or null. */
export async function formatOf(file: string): Promise<1 | 2 | null> {
  const h = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const m = Buffer.alloc(8);
    const { bytesRead } = await h.read(m, 0, 8, 0);
    if (bytesRead === 8 && m.equals(MAGIC)) return 2;
    if (bytesRead === 8 && m.equals(MAGIC_V1)) return 1;
    return null;
  } finally {
    await h.close();
  }
}

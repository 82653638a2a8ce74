// bench/rtp/sigs.mjs — the signature set both sides of the RTP benchmark load (wdavdaemon as
// --custom-definitions, clamd as its DatabaseDirectory): 100,000 SHA-256 hash signatures and
// 2,000 body signatures, deterministic from a seed, plus one planted file that must be blocked
// by both (proof that each scanner really is in the path). Names are Bench.Rtp.*; nothing here
// is real malware or EICAR.
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const SEED = 'wdavdaemon-bench-rtp-v1';

function bytes(label, n) {
  const key = createHash('sha256').update(`${SEED}/${label}`).digest();
  return createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32)).update(Buffer.alloc(n));
}

/** Writes sigs into `dir`; returns the content of a file that matches a body signature. */
export function writeSignatures(dir, { hashSigs = 100_000, bodySigs = 2_000 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const digests = bytes('hsb', 32 * hashSigs);
  const sizes = bytes('sizes', 4 * hashSigs);
  const hsb = [];
  for (let i = 0; i < hashSigs; i++) hsb.push(`${digests.toString('hex', i * 32, i * 32 + 32)}:${64 + (sizes.readUInt32LE(i * 4) % (32 << 20))}:Bench.Rtp.Hash-${i}`);
  fs.writeFileSync(path.join(dir, 'bench-rtp.hsb'), hsb.join('\n') + '\n');
  const body = bytes('ndb', 24 * bodySigs);
  const ndb = [];
  for (let i = 0; i < bodySigs; i++) ndb.push(`Bench.Rtp.Body-${i}:0:*:${body.toString('hex', i * 24, i * 24 + 16 + (i % 9))}`);
  fs.writeFileSync(path.join(dir, 'bench-rtp.ndb'), ndb.join('\n') + '\n');
  // The planted file: random bytes around body signature 17.
  const sig = body.subarray(17 * 24, 17 * 24 + 16 + (17 % 9));
  return { planted: Buffer.concat([bytes('planted-a', 30_000), sig, bytes('planted-b', 30_000)]), plantedName: 'Bench.Rtp.Body-17' };
}

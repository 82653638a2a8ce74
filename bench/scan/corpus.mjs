// bench/scan/corpus.mjs — the deterministic corpus and signature set of the on-demand scan
// benchmark. Everything derives from one seed (AES-128-CTR keystream + a small PRNG), so two
// runs anywhere produce the same bytes. Writes:
//   <dir>/corpus/   ≥ 5,000 files, ≥ 400 MB: mostly small files (text-like, random, sparse
//                   binary, a few clean zip/tar.gz), some large ones, nested directories,
//                   with planted detections (hash hits, body hits, some straddling a 1 MiB
//                   chunk boundary, some near the end of large files, some inside archives)
//   <dir>/sigs/     bench.hsb (≥ 100,000 SHA256 hash signatures) and bench.ndb (≥ 2,000 body
//                   signatures: plain hex, wildcards, jumps, alternatives, offsets)
//   <dir>/expected.json  { "<relative path>": "<signature name>" } for every planted file
// Nothing here is EICAR or real malware: names are Bench.* and bytes are random.
import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export const PARAMS = {
  version: 3,
  seed: 'wdavdaemon-bench-scan',
  smallFiles: 6000,
  largeFiles: 24,
  largeMin: 12 << 20,
  largeMax: 16 << 20,
  hashSigs: 100_000,
  bodySigs: 2_000,
  plantedHash: 12,
  plantedBody: 24,
  plantedArchive: 4,
};

/** mulberry32: small deterministic PRNG for choices (not for bulk bytes). */
function prng(seedText) {
  let a = createHash('sha256').update(seedText).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic random bytes: AES-CTR keystream of a key derived from the seed and a label. */
function bytes(label, n) {
  const key = createHash('sha256').update(`${PARAMS.seed}/${label}`).digest();
  const c = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return c.update(Buffer.alloc(n));
}

const WORDS = ('the of and to in is for on that with as by this from at are be or an it not which have has was were will can all ' +
  'function return const let var if else while for import export class new this null undefined true false async await ' +
  'error config server client request response value index buffer stream file path user group data time date').split(' ');

function textFile(rand, n) {
  const parts = [];
  let len = 0;
  while (len < n) {
    const lineWords = 4 + Math.floor(rand() * 10);
    const line = [];
    for (let i = 0; i < lineWords; i++) line.push(WORDS[Math.floor(rand() * WORDS.length)]);
    const s = `${'  '.repeat(Math.floor(rand() * 4))}${line.join(' ')};\n`;
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

function sparseFile(label, n) {
  const b = Buffer.alloc(n);
  const r = bytes(label, Math.ceil(n / 8));
  for (let i = 0; i < r.length; i++) b[i * 8] = r[i];
  return b;
}

/** Log-uniform size between lo and hi. */
function logSize(rand, lo, hi) {
  return Math.floor(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));
}

const hex = (b) => b.toString('hex');

/** A body signature and the exact bytes planted for it. */
function bodySig(rand, i) {
  const core = bytes(`ndb-${i}`, 40);
  const kind = i % 10;
  const h = (a, b) => hex(core.subarray(a, b));
  // Planted bytes satisfy the signature: the wildcard parts are filled from `core` too.
  switch (kind) {
    case 0: // wildcard bytes
      return { sig: `${h(0, 8)}????${h(10, 20)}`, bytes: core.subarray(0, 20), offset: '*' };
    case 1: // bounded jump
      return { sig: `${h(0, 10)}{4-8}${h(16, 26)}`, bytes: core.subarray(0, 26), offset: '*' };
    case 2: // alternatives
      return { sig: `${h(0, 10)}(${h(10, 11)}|${h(11, 12)})${h(11, 22)}`, bytes: Buffer.concat([core.subarray(0, 11), core.subarray(11, 22)]), offset: '*' };
    case 3: // nibble wildcard
      return { sig: `${h(0, 12)}${core.toString('hex', 12, 13)[0]}?${h(13, 24)}`, bytes: core.subarray(0, 24), offset: '*' };
    default: // plain hex, 16-32 bytes
      return { sig: h(0, 16 + Math.floor(rand() * 17)), bytes: null, offset: '*' };
  }
}

function zipStored(name, data) {
  // One stored entry, no compression: small and exact (CRC-32 from zlib).
  const crc = zlib.crc32 ? zlib.crc32(data) : crc32(data);
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  const localLen = 30 + n.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(localLen, 16);
  return Buffer.concat([local, n, data, central, n, end]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function tarGz(name, data) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return zlib.gzipSync(Buffer.concat([h, data, pad, Buffer.alloc(1024)]), { level: 6 });
}

function insert(base, at, payload) {
  const out = Buffer.from(base);
  payload.copy(out, Math.max(0, Math.min(at, out.length - payload.length)));
  return out;
}

/** Generates everything under `dir` unless a complete run of the same PARAMS is there. */
export function generate(dir, log = () => {}) {
  const stamp = path.join(dir, 'params.json');
  const want = JSON.stringify(PARAMS);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) {
    // Reuse only an intact corpus (a scanner with remediation on may have moved hits away).
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    if (Object.keys(expected).every((rel) => fs.existsSync(path.join(dir, 'corpus', rel)))) return expected;
    log('corpus incomplete: generating it again');
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const corpus = path.join(dir, 'corpus');
  const sigs = path.join(dir, 'sigs');
  fs.mkdirSync(corpus, { recursive: true });
  fs.mkdirSync(sigs, { recursive: true });
  const rand = prng(PARAMS.seed);

  // Body signatures first: some are planted.
  const body = [];
  for (let i = 0; i < PARAMS.bodySigs; i++) body.push({ name: `Bench.Body.Sig-${i}`, ...bodySig(rand, i) });
  const ndb = body.map((b) => `${b.name}:0:${b.offset}:${b.sig}`);
  // A few with offsets, as real databases have: anchored at 0 and near the end.
  for (let i = 0; i < 20; i++) ndb.push(`Bench.Body.Offset-${i}:0:${i * 7}:${hex(bytes(`off-${i}`, 18))}`);
  for (let i = 0; i < 20; i++) ndb.push(`Bench.Body.Eof-${i}:0:EOF-${64 + i}:${hex(bytes(`eof-${i}`, 18))}`);
  fs.writeFileSync(path.join(sigs, 'bench.ndb'), ndb.join('\n') + '\n');

  // Layout: 3 levels of directories.
  const dirs = [];
  for (let a = 0; a < 8; a++) for (let b = 0; b < 6; b++) for (let c = 0; c < 4; c++) dirs.push(`d${a}/s${b}/t${c}`);
  for (const d of dirs) fs.mkdirSync(path.join(corpus, d), { recursive: true });
  const pick = () => dirs[Math.floor(rand() * dirs.length)];

  const expected = {};
  const plantBody = [];
  for (let i = 0; plantBody.length < PARAMS.plantedBody + PARAMS.plantedArchive; i += 37) plantBody.push(body[i % body.length]);
  const payloadOf = (b) => (b.bytes ? Buffer.from(b.bytes) : Buffer.from(b.sig, 'hex'));
  let total = 0;
  let files = 0;

  // Small files: text, random, sparse, and a few clean archives.
  for (let i = 0; i < PARAMS.smallFiles; i++) {
    const size = logSize(rand, 512, 96 << 10);
    const kind = rand();
    let data;
    let name;
    if (kind < 0.45) [data, name] = [textFile(rand, size), `f${i}.txt`];
    else if (kind < 0.85) [data, name] = [bytes(`small-${i}`, size), `f${i}.bin`];
    else if (kind < 0.97) [data, name] = [sparseFile(`sparse-${i}`, size), `f${i}.dat`];
    else if (kind < 0.985) [data, name] = [zipStored(`inner${i}.txt`, textFile(rand, size)), `f${i}.zip`];
    else [data, name] = [tarGz(`inner${i}.bin`, bytes(`tgz-${i}`, size)), `f${i}.tar.gz`];
    const rel = `${pick()}/${name}`;
    fs.writeFileSync(path.join(corpus, rel), data);
    total += data.length;
    files++;
  }

  // Body hits in plain files: small text/binary, and in large files (middle, across a 1 MiB
  // chunk boundary, near the end).
  const hashSigs = [];
  for (let i = 0; i < PARAMS.plantedBody; i++) {
    const b = plantBody[i];
    const p = payloadOf(b);
    const rel = `${pick()}/hit-body-${i}.${i % 2 ? 'bin' : 'txt'}`;
    let data;
    if (i < PARAMS.plantedBody / 2) {
      const base = i % 2 ? bytes(`hitb-${i}`, logSize(rand, 1024, 64 << 10)) : textFile(rand, logSize(rand, 1024, 64 << 10));
      data = insert(base, Math.floor(rand() * base.length), p);
    } else {
      const size = (3 << 20) + Math.floor(rand() * (2 << 20));
      const base = bytes(`hitl-${i}`, size);
      const where = i % 3 === 0 ? (2 << 20) - Math.floor(p.length / 2) : i % 3 === 1 ? size - p.length - 3 : Math.floor(size / 2);
      data = insert(base, where, p);
    }
    fs.writeFileSync(path.join(corpus, rel), data);
    expected[rel] = b.name;
    total += data.length;
    files++;
  }

  // Body hits inside archives (zip stored, tar.gz).
  for (let i = 0; i < PARAMS.plantedArchive; i++) {
    const b = plantBody[PARAMS.plantedBody + i];
    const inner = insert(bytes(`arch-${i}`, 8192), 1000 + i, payloadOf(b));
    const zip = i % 2 === 0;
    const rel = `${pick()}/hit-archive-${i}.${zip ? 'zip' : 'tar.gz'}`;
    const data = zip ? zipStored(`payload-${i}.bin`, inner) : tarGz(`payload-${i}.bin`, inner);
    fs.writeFileSync(path.join(corpus, rel), data);
    expected[rel] = b.name;
    total += data.length;
    files++;
  }

  // Hash hits: files whose SHA256 and size are in the .hsb.
  for (let i = 0; i < PARAMS.plantedHash; i++) {
    const data = bytes(`hashhit-${i}`, logSize(rand, 2048, 2 << 20));
    const rel = `${pick()}/hit-hash-${i}.bin`;
    fs.writeFileSync(path.join(corpus, rel), data);
    const name = `Bench.Hash.Sig-${i}`;
    hashSigs.push(`${hex(createHash('sha256').update(data).digest())}:${data.length}:${name}`);
    expected[rel] = name;
    total += data.length;
    files++;
  }

  // Large clean files.
  for (let i = 0; i < PARAMS.largeFiles; i++) {
    const size = PARAMS.largeMin + Math.floor(rand() * (PARAMS.largeMax - PARAMS.largeMin));
    const data = i % 4 === 3 ? sparseFile(`large-${i}`, size) : bytes(`large-${i}`, size);
    fs.writeFileSync(path.join(corpus, `${pick()}/large-${i}.img`), data);
    total += data.length;
    files++;
  }

  // The rest of the hash signatures: random digests with sizes spread like real ones.
  const filler = bytes('hsb-filler', 32 * PARAMS.hashSigs);
  for (let i = hashSigs.length; i < PARAMS.hashSigs; i++) {
    const size = logSize(rand, 64, 32 << 20);
    hashSigs.push(`${filler.toString('hex', i * 32, i * 32 + 32)}:${size}:Bench.Hash.Filler-${i}`);
  }
  fs.writeFileSync(path.join(sigs, 'bench.hsb'), hashSigs.join('\n') + '\n');

  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 1));
  fs.writeFileSync(stamp, want);
  log(`corpus: ${files} files, ${(total / 1e6).toFixed(0)} MB; signatures: ${hashSigs.length} hsb, ${ndb.length} ndb; planted: ${Object.keys(expected).length}`);
  return expected;
}

/** Total files and bytes of the corpus (for the report). */
export function corpusSize(dir) {
  let files = 0;
  let bytesTotal = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytesTotal += fs.statSync(p).size;
      }
    }
  };
  walk(path.join(dir, 'corpus'));
  return { files, bytes: bytesTotal };
}

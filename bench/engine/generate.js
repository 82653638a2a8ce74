// bench/engine/generate.js — generates the engine benchmark inputs once into a work directory
// (reused by later runs): definitions (4,000,000 MD5 + 500,000 SHA256 hash signatures, 5,000
// body signatures), body-signature sets of 2,000 and 100,000 for throughput, and a corpus of
// mixed files (random bytes, text, zero runs). Deterministic (seeded) so cache keys are stable.
import fs from 'node:fs';
import path from 'node:path';

function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const PLATFORMS = ['Win', 'Unix', 'Doc', 'Html', 'Js', 'Andr', 'Osx', 'Pdf', 'Xls', 'Email'];
const CATEGORIES = ['Trojan', 'Malware', 'Virus', 'Exploit', 'Downloader', 'Dropper', 'Worm', 'Ransomware', 'Coinminer', 'Phishing'];

function familyName(r, k) {
  return `${PLATFORMS[k % PLATFORMS.length]}.${CATEGORIES[(k >> 4) % CATEGORIES.length]}.Fam${k}`;
}

function hexBytes(r, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[r() & 255];
  return s;
}

async function writeLines(file, count, line) {
  const fd = fs.openSync(file, 'w');
  let buf = '';
  for (let i = 0; i < count; i++) {
    buf += line(i) + '\n';
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

function fileSize(r) {
  // Log-uniform between 1 KiB and 64 MiB, as real hash signature sizes spread.
  return Math.floor(1024 * Math.pow(65536, (r() % 1_000_000) / 1_000_000));
}

/** A ClamAV-like body signature: mostly plain hex, some wildcards, jumps, alternatives, `*`. */
export function bodySig(r, i) {
  const kind = r() % 100;
  let hex = hexBytes(r, 8 + (r() % 24));
  if (kind < 70) hex += hexBytes(r, 4 + (r() % 16));
  else if (kind < 80) hex += `??${hexBytes(r, 6)}${HEX[r() & 255][0]}?${hexBytes(r, 4)}`;
  else if (kind < 90) hex += `{${r() % 8}-${8 + (r() % 24)}}${hexBytes(r, 8)}`;
  else if (kind < 96) hex += `(${hexBytes(r, 2)}|${hexBytes(r, 3)})${hexBytes(r, 8)}`;
  else hex += `*${hexBytes(r, 10)}`;
  const offset = kind % 17 === 0 ? `${r() % 1024}` : kind % 29 === 0 ? `EOF-${64 + (r() % 1024)}` : '*';
  return `${familyName(r, r() % 3000)}-${1000000 + i}-0:0:${offset}:${hex}`;
}

function corpusFile(r, size) {
  const b = Buffer.allocUnsafe(size);
  const words = ['the', 'function', 'return', 'var', 'int', 'printf', 'http://', 'include', 'data', 'value', 'string', 'error', 'user', 'file', 'open', '\n', '{', '}', ';', ' '];
  let o = 0;
  while (o < size) {
    const seg = Math.min(size - o, 4096 + (r() % 65536));
    const kind = r() % 10;
    if (kind < 4) for (let i = 0; i < seg; i += 4) b.writeUInt32LE(r(), o + i > size - 4 ? size - 4 : o + i);
    else if (kind < 8) {
      let i = 0;
      while (i < seg) {
        const w = words[r() % words.length];
        i += b.write(w, o + i, Math.min(w.length, seg - i), 'latin1');
        if (i < seg) b[o + i++] = 0x20;
      }
    } else b.fill(kind === 8 ? 0 : 0x90, o, o + seg);
    o += seg;
  }
  return b;
}

export async function generate(dir) {
  const done = path.join(dir, '.complete-v1');
  if (fs.existsSync(done)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const defs = path.join(dir, 'defs');
  for (const d of [defs, path.join(dir, 'body2k'), path.join(dir, 'body100k'), path.join(dir, 'corpus')]) fs.mkdirSync(d, { recursive: true });
  const r = prng(20240601);
  process.stdout.write('generating 4,000,000 MD5 signatures... ');
  await writeLines(path.join(defs, 'bench.hdb'), 4_000_000, (i) => `${hexBytes(r, 16)}:${fileSize(r)}:${familyName(r, r() % 5000)}-${2000000 + i}-0`);
  process.stdout.write('500,000 SHA256... ');
  await writeLines(path.join(defs, 'bench.hsb'), 500_000, (i) => `${hexBytes(r, 32)}:${fileSize(r)}:${familyName(r, r() % 5000)}-${7000000 + i}-0`);
  process.stdout.write('body signatures... ');
  await writeLines(path.join(defs, 'bench.ndb'), 5000, (i) => bodySig(r, i));
  await writeLines(path.join(dir, 'body2k', 'bench.ndb'), 2000, (i) => bodySig(r, i));
  await writeLines(path.join(dir, 'body100k', 'bench.ndb'), 100_000, (i) => bodySig(r, i));
  process.stdout.write('corpus... ');
  let total = 0;
  for (let k = 0; total < 256 << 20; k++) {
    const c = r() % 10;
    const size = c < 4 ? 4096 + (r() % 61440) : c < 8 ? 65536 + (r() % (2 << 20)) : (2 << 20) + (r() % (14 << 20));
    fs.writeFileSync(path.join(dir, 'corpus', `f${String(k).padStart(4, '0')}`), corpusFile(r, size));
    total += size;
  }
  fs.writeFileSync(done, new Date().toISOString());
  console.log('done');
}

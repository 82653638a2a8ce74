// The native read pass flags a file for the archive walker exactly when archives/formats.ts
// detectArchiveFormat would call its first bytes an archive: zip and gzip magic, and tar
// headers told apart by their checksum (ustar or v7, unsigned or signed sums, octal with
// spaces/NULs or GNU base-256) — over crafted headers and thousands of random ones.
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { detectArchiveFormat } from '../../src/engine/archives/formats.js';
import { BATCH_KEEP_ARCHIVES_OPEN, FLAG, REC, scanBatchBinding } from '../../src/engine/batch-native.js';
import { loadNative } from '../../src/shared/native.js';
import { makeTar, tarHeader } from '../helpers/archive-fixtures.js';
import { tmpDir } from '../helpers/engine-fixtures.js';

const b = scanBatchBinding(loadNative());

function withChecksum(h: Buffer, field: (sum: number, signed: number) => Buffer): Buffer {
  const out = Buffer.from(h);
  out.fill(0x20, 148, 156);
  let sum = 0;
  let signed = 0;
  for (const x of out.subarray(0, 512)) {
    sum += x;
    signed += x > 127 ? x - 256 : x;
  }
  field(sum, signed).copy(out, 148);
  return out;
}

function heads(): Buffer[] {
  const v7 = tarHeader('plain.txt', 5, '0', false);
  const high = Buffer.from(tarHeader('x', 0));
  high.fill(0xe9, 1, 60); // name bytes above 127: the signed sum differs from the unsigned one
  const out: Buffer[] = [
    makeTar([{ name: 'a.txt', data: Buffer.from('hello') }]),
    v7,
    withChecksum(high, (_s, signed) => Buffer.from(`${signed.toString(8).padStart(6, '0')}\0 `)),
    withChecksum(high, (s) => Buffer.from(`${s.toString(8).padStart(6, '0')}\0 `)),
    withChecksum(high, (s) => Buffer.from(`${(s + 1).toString(8).padStart(6, '0')}\0 `)),
    withChecksum(v7, (s) => Buffer.from(`  ${s.toString(8)}\0\0\0`.slice(0, 8))),
    withChecksum(v7, (s) => Buffer.from(`${s.toString(8)}   `.slice(0, 8))),
    withChecksum(v7, (s) => {
      const f = Buffer.alloc(8);
      f.writeUIntBE(s, 2, 6);
      f[0] = 0x80;
      return f;
    }),
    withChecksum(v7, () => Buffer.from('12 45\0\0\0')),
    withChecksum(Buffer.concat([Buffer.from([0]), v7.subarray(1)]), (s) => Buffer.from(`${s.toString(8).padStart(6, '0')}\0 `)),
    Buffer.from('504b0304', 'hex'),
    Buffer.from('504b0506aaaa', 'hex'),
    Buffer.from('504b3030', 'hex'),
    Buffer.from('504b0102', 'hex'),
    Buffer.from('504b03', 'hex'),
    Buffer.from('1f8b0800', 'hex'),
    Buffer.from('1f8b07', 'hex'),
    Buffer.from('1f8b', 'hex'),
    makeTar([{ name: 'b', data: Buffer.alloc(10) }]).subarray(0, 511),
    Buffer.alloc(0),
  ];
  for (let i = 0; i < 3000; i++) {
    const r = crypto.randomBytes(300 + (i % 900));
    // Some random blocks get a plausible octal checksum field, valid or not.
    if (i % 3 === 0 && r.length >= 512) out.push(withChecksum(r, (s) => Buffer.from(`${(s + (i % 2)).toString(8).padStart(6, '0')}\0 `)));
    else out.push(r);
  }
  return out;
}

t.test('archive candidates are exactly what detectArchiveFormat accepts', { skip: b ? false : 'addon without the batch scanner' }, async (t) => {
  const dir = tmpDir(t);
  const all = heads();
  const plan = b!.scanPlan({ db: null, bodyCount: 0, chunkSize: 256 * 1024, md5: { sizes: [], any: false }, sha1: { sizes: [], any: false }, sha256: { sizes: [], any: false } });
  const records = Buffer.alloc(256 * REC.size);
  let mismatches = 0;
  let archives = 0;
  for (let from = 0; from < all.length; from += 256) {
    const part = all.slice(from, from + 256);
    const paths = part.map((h, i) => {
      const p = path.join(dir, `h${from + i}`);
      fs.writeFileSync(p, h);
      return p;
    });
    const fds = Int32Array.from(paths, (p) => fs.openSync(p, 'r'));
    // No spill: every candidate is left open for the caller, who closes it here.
    await b!.scanBatch(plan, fds, records, 0, BATCH_KEEP_ARCHIVES_OPEN, null, null);
    part.forEach((h, i) => {
      const flags = records.readUInt32LE(i * REC.size + REC.flags);
      const native = (flags & FLAG.archive) !== 0;
      const js = detectArchiveFormat(h.subarray(0, 512)) !== null;
      if (native) {
        archives++;
        t.ok(flags & FLAG.leftOpen, 'a candidate stays open for the walker');
        fs.closeSync(fds[i]!);
      }
      if (native !== js) {
        mismatches++;
        t.fail(`head ${from + i}: native ${native}, detectArchiveFormat ${js}`);
      }
    });
  }
  t.equal(mismatches, 0);
  t.ok(archives >= 11, `crafted archives recognised (${archives})`);
});

// A detection found before an archive limit is exceeded is the walk's verdict, for every limit:
// the member with EICAR comes first, a member (or the directory) that exceeds the limit after
// it. The limits the walker can see from the zip directory up front (more entries than
// maxFiles, overlapping entries) must not replace it; the walk records them in its notes.
import t from 'tap';
import crypto from 'node:crypto';
import { walkArchive } from '../../src/engine/archives/walker.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import type { ArchiveLimits } from '../../src/engine/archives/limits.js';
import type { ScanMember } from '../../src/engine/archives/types.js';
import { eicar, makeTar, makeZip, nestZips } from '../helpers/archive-fixtures.js';
import { eicarScanner } from '../helpers/archive-scan.js';

const KiB = 1024;
const evil = { name: 'evil.com', data: eicar() };

/** evil.com, then two entries whose local ranges overlap (one stored kernel, two directory entries). */
function evilThenOverlap(): Buffer {
  const head = makeZip([evil]);
  const cdAt = head.readUInt32LE(head.length - 6);
  const cdSize = head.readUInt32LE(head.length - 10);
  const locals = head.subarray(0, cdAt);
  const central = head.subarray(cdAt, cdAt + cdSize);
  const kernel = crypto.randomBytes(4096);
  const one = makeZip([{ name: 'k0', data: kernel, method: 0 }]);
  const kLocal = one.subarray(0, one.readUInt32LE(one.length - 6));
  const kCentral = one.subarray(kLocal.length, kLocal.length + one.readUInt32LE(one.length - 10));
  const at = (c: Buffer, name: string, offset: number): Buffer => {
    const out = Buffer.concat([c.subarray(0, 46), Buffer.from(name)]);
    out.writeUInt16LE(name.length, 28);
    out.writeUInt32LE(offset, 42);
    return out;
  };
  const cd = Buffer.concat([central, at(kCentral, 'k0', locals.length), at(kCentral, 'k1', locals.length)]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(3, 8);
  end.writeUInt16LE(3, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(locals.length + kLocal.length, 16);
  return Buffer.concat([locals, kLocal, cd, end]);
}

const EICAR_FIRST: Record<string, { archive: () => Buffer; limits?: Partial<ArchiveLimits>; slow?: boolean }> = {
  MaxFiles: { archive: () => makeZip([evil, ...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x'), method: 0 }))]), limits: { maxFiles: 10 } },
  OverlappingFiles: { archive: evilThenOverlap },
  MaxFileSize: { archive: () => makeZip([evil, { name: 'big.bin', data: crypto.randomBytes(300 * KiB), method: 0 }]), limits: { maxFileSize: 256 * KiB } },
  MaxScanSize: { archive: () => makeTar([evil, { name: 'a', data: crypto.randomBytes(200 * KiB) }, { name: 'b', data: crypto.randomBytes(200 * KiB) }]), limits: { maxScanSize: 300 * KiB } },
  MaxCompressionRatio: { archive: () => makeZip([evil, { name: 'zeros.bin', data: Buffer.alloc(4 << 20) }]) },
  MaxRecursion: { archive: () => makeZip([evil, { name: 'deep.zip', data: nestZips(Buffer.from('x'), 'x', 20) }]) },
  MaxScanTime: { archive: () => makeZip([evil, { name: 'slow.bin', data: Buffer.from('slow') }]), limits: { maxScanTimeMs: 200 }, slow: true },
};

for (const [limit, c] of Object.entries(EICAR_FIRST)) {
  t.test(`EICAR before a member past ${limit} is the verdict`, async (t) => {
    const base = eicarScanner();
    // For the time limit: EICAR is seen first, and only a later member is slow.
    const scan: ScanMember = c.slow
      ? async (m, signal) => {
          if (!m.path.startsWith('slow')) return base.scan(m, signal);
          await new Promise((r) => setTimeout(r, 400));
          return { kind: 'clean' };
        }
      : base.scan;
    const r = await walkArchive(new BufferSource(c.archive()), c.limits ? { limits: c.limits } : {}, scan);
    t.equal(r.kind, 'detected');
    if (r.kind !== 'detected') return;
    t.same(r.detection, { name: 'Virus:DOS/EICAR_Test_File', threatType: 'test', engine: 'builtin', memberPath: 'evil.com' });
  });
}

t.test('the same archives with EICAR after the offending member give the limit', async (t) => {
  const later = makeZip([...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x'), method: 0 })), evil]);
  const r = await walkArchive(new BufferSource(later), { limits: { maxFiles: 10 } }, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.name, 'Heuristics.Limits.Exceeded.MaxFiles');
  const ratio = await walkArchive(new BufferSource(makeZip([{ name: 'zeros.bin', data: Buffer.alloc(4 << 20) }, evil])), {}, eicarScanner().scan);
  t.equal(ratio.kind === 'detected' && ratio.detection.name, 'Heuristics.Limits.Exceeded.MaxCompressionRatio');
});

t.test('a limit known from the directory is noted next to the detection', async (t) => {
  const many = makeZip([evil, ...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x'), method: 0 }))]);
  const r = await walkArchive(new BufferSource(many), { limits: { maxFiles: 10 } }, eicarScanner().scan);
  t.equal(r.kind === 'detected' && r.detection.memberPath, 'evil.com');
  t.match(r.kind === 'detected' ? r.notes : [], [/Heuristics\.Limits\.Exceeded\.MaxFiles/u]);
  t.equal(r.kind === 'detected' && r.limitsExceeded, 1, 'counted as a limit exceeded');
});

// The native batch pass (engine.scanBatch) gives every file the verdict engine.scan gives it:
// body signatures (lowest id wins, across a chunk boundary, EOF-anchored), MD5/SHA1/SHA256
// hashes (sized and `*`), the allow-list over a body match, the built-in EICAR check, archives
// (zip, tar.gz, plain gzip, nested) and clean files — with the sha256 of detections when
// enableFileHashComputation is on (and, for the threat record, of files a body or SHA256
// signature matched even when it is off). A set with YARA rules takes the per-file path.
import t, { type Test } from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createEngine } from '../../src/engine/engine.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { ScanContext } from '../../src/engine/types.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet, tmpDir } from '../helpers/engine-fixtures.js';
import { eicar, gzip, makeTar, makeZip } from '../helpers/archive-fixtures.js';
import { openAll, perFile, put, rand, verdictOf, writeFiles } from '../helpers/batch-fixtures.js';

const native = loadNative();
const skip = scanBatchBinding(native) && native.features.vectorscan ? false : 'addon without the batch scanner or libhs';
const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const digest = (alg: string, d: Buffer): string => crypto.createHash(alg).update(d).digest('hex');

const A = 'LOWSIGNATURE-AAAA';
const B = 'HIGHSIGNATURE-BBBB';
const C = 'ENDMARKER-CCCC';
const HX = rand(3000, 1);
const HY = rand(4100, 2);
const HZ = rand(70_000, 3);
const ALLOWED = put(rand(2000, 4), 100, A);

function definitions(): Record<string, string> {
  return {
    'body.ndb': [`Test.Body.Low-1-0:0:*:${hex(A)}`, `Test.Body.High-2-0:0:*:${hex(B)}`, `Test.Body.Eof-3-0:0:EOF-20:${hex(C)}`, `Test.Body.Jump-4-0:0:*:${hex('JUMPSTART')}{10-20}${hex('JUMPEND')}`].join('\n') + '\n',
    'x.hdb': `${digest('md5', HX)}:${HX.length}:Test.Hash.Md5-5-0\n`,
    'y.hsb': `${digest('sha1', HY)}:*:Test.Hash.Sha1Any-6-0:73\n${digest('sha256', HZ)}:${HZ.length}:Test.Hash.Sha256-7-0\n`,
    'allow.fp': `${digest('md5', ALLOWED)}:${ALLOWED.length}:Allowed.File\n`,
  };
}

function corpus(): Record<string, Buffer> {
  const big = rand(600_000, 5);
  const eofHit = put(rand(5000, 6), 5000 - 20, C);
  return {
    'clean.txt': Buffer.from('nothing to see here\n'.repeat(40)),
    'clean-large.bin': rand(1_100_000, 7),
    'empty': Buffer.alloc(0),
    'low.bin': put(rand(9000, 8), 4000, A),
    'both.bin': put(put(rand(9000, 9), 100, B), 5000, A),
    'straddle.bin': put(big, 262_144 - 8, B),
    'eof-hit.bin': eofHit,
    'eof-miss.bin': put(rand(5000, 10), 5000 - 30, C),
    'jump.bin': put(put(rand(4000, 11), 1000, 'JUMPSTART'), 1024, 'JUMPEND'),
    'hash-md5.bin': HX,
    'hash-sha1.bin': HY,
    'hash-sha256.bin': HZ,
    'hash-size-mismatch.bin': Buffer.concat([HX, Buffer.from('x')]),
    'allowed.bin': ALLOWED,
    'eicar.com': eicar(),
    'eicar-ws.com': Buffer.concat([eicar(), Buffer.from('\r\n \t\x1a')]),
    'eicar-junk.com': Buffer.concat([eicar(), Buffer.from('x')]),
    // Compressible members: deflate leaves no signature in the outer file's own bytes.
    'member.zip': makeZip([{ name: 'dir/high.bin', data: put(Buffer.alloc(3000, 'a'), 10, B) }]),
    'stored.zip': makeZip([{ name: 'e.com', data: eicar(), method: 0 }]),
    'member.tar.gz': gzip(makeTar([{ name: 'readme', data: Buffer.from('hi') }, { name: 'evil.com', data: eicar() }])),
    'plain.gz': gzip(put(Buffer.alloc(5000, 'b'), 70, A), 'inner.bin'),
    'nested.tar.gz': gzip(makeTar([{ name: 'in.zip', data: makeZip([{ name: 'deep.bin', data: put(Buffer.alloc(2000, 'c'), 5, B) }]) }])),
    'not-tar.bin': Buffer.concat([Buffer.from('x'), Buffer.alloc(1023, 0x30)]),
    'clean.zip': makeZip([{ name: 'ok.txt', data: Buffer.from('fine') }]),
  };
}

async function compare(t: Test, files: Record<string, string>, ctx: ScanContext): Promise<void> {
  const set = await loadSet(t, [defsDir(t, files)]);
  const engine = createEngine({ definitions: set, native });
  const dir = tmpDir(t);
  const paths = writeFiles(dir, corpus());
  const fds = openAll(paths);
  const out = await engine.scanBatch({ fds, path: (i) => paths[i]! }, ctx);
  const batch = perFile(out, paths.length);
  for (let i = 0; i < paths.length; i++) {
    const one = await engine.scan({ path: paths[i]! }, ctx);
    const b = batch[i]!;
    t.equal(verdictOf(b), verdictOf(one), paths[i]!.slice(dir.length + 1));
    if (ctx.computeHash && one.kind === 'detected') t.equal(b !== 'clean' && b.kind === 'detected' && b.sha256, one.sha256, 'same sha256');
    // Without computeHash too, a body match or a sha256-sized file carries its file's sha256
    // (for the threat record), computed in the native pass.
    if (!set.yara && !ctx.computeHash && b !== 'clean' && b.kind === 'detected' && !b.memberPath && b.engine !== 'builtin' && !/Md5|Sha1/.test(b.name)) {
      t.equal(b.sha256, digest('sha256', fs.readFileSync(paths[i]!)), `sha256 of ${paths[i]!.slice(dir.length + 1)}`);
    }
  }
  const expected = new Map(Object.entries({
    'low.bin': 'Test.Body.Low-1-0/body',
    'both.bin': 'Test.Body.Low-1-0/body',
    'straddle.bin': 'Test.Body.High-2-0/body',
    'eof-hit.bin': 'Test.Body.Eof-3-0/body',
    'jump.bin': 'Test.Body.Jump-4-0/body',
    'hash-md5.bin': 'Test.Hash.Md5-5-0/hash',
    'hash-sha1.bin': 'Test.Hash.Sha1Any-6-0/hash',
    'hash-sha256.bin': 'Test.Hash.Sha256-7-0/hash',
    'eicar.com': 'Virus:DOS/EICAR_Test_File/builtin',
    'eicar-ws.com': 'Virus:DOS/EICAR_Test_File/builtin',
    ...(ctx.scanArchives
      ? {
          'member.zip': 'Test.Body.High-2-0/body@dir/high.bin',
          'stored.zip': 'Virus:DOS/EICAR_Test_File/builtin@e.com',
          'member.tar.gz': 'Virus:DOS/EICAR_Test_File/builtin@evil.com',
          'plain.gz': 'Test.Body.Low-1-0/body@inner.bin',
          'nested.tar.gz': 'Test.Body.High-2-0/body@in.zip->deep.bin',
        }
      : {}),
  }));
  paths.forEach((p, i) => t.equal(verdictOf(batch[i]!), expected.get(p.slice(dir.length + 1)) ?? 'clean', `expected verdict for ${p.slice(dir.length + 1)}`));
  t.equal(out.clean + out.others.length, paths.length, 'one result per file');
}

t.test('same verdicts as engine.scan, archives walked', { skip }, (t) => compare(t, definitions(), { origin: 'on_demand', scanArchives: true, maxFileSize: 0 }));
t.test('same verdicts without archives, sha256 computed', { skip }, (t) => compare(t, definitions(), { origin: 'on_demand', scanArchives: false, maxFileSize: 0, computeHash: true }));
t.test('a set with YARA rules takes the per-file path with the same verdicts', { skip }, (t) =>
  compare(t, { ...definitions(), 'r.yar': 'rule Never_Matches { strings: $a = "THIS STRING IS IN NO FILE OF THE TEST" condition: $a }\n' }, { origin: 'on_demand', scanArchives: true, maxFileSize: 0 }),
);

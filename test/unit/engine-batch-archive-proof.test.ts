// Small archives that the native batch pass proves clean (native/core/archclean.*) are not walked
// in JavaScript; every other archive — a member with evidence (body signature, hash, allow-list
// entry, the EICAR file), a limit reached, a malformed or unusual one (pax sizes, multi-member
// gzip, trailing bytes) — is walked as before. Either way the verdict is engine.scan's.
import t, { type Test } from 'tap';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { createEngine } from '../../src/engine/engine.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { ArchiveLimits } from '../../src/engine/archives/limits.js';
import type { ScanContext } from '../../src/engine/types.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet, tmpDir } from '../helpers/engine-fixtures.js';
import { eicar, gzip, makeOverlappingZip, makeTar, makeZip, tarHeader } from '../helpers/archive-fixtures.js';
import { openAll, perFile, put, rand, verdictOf, writeFiles } from '../helpers/batch-fixtures.js';

const native = loadNative();
const skip = scanBatchBinding(native) && native.features.vectorscan ? false : 'addon without the batch scanner or libhs';
const CTX: ScanContext = { origin: 'on_demand', scanArchives: true, maxFileSize: 0 };
const md5 = (d: Buffer): string => crypto.createHash('md5').update(d).digest('hex');

const SIG = 'ARCHIVE-PROOF-SIGNATURE';
const HASHED = rand(3000, 1);
// Compressible (base64) content, so that deflate leaves no signature in the archive's own bytes.
const text = (n: number, seed: number): Buffer => Buffer.from(rand(n, seed).toString('base64').slice(0, n));
const ALLOWED = put(text(2500, 2), 40, SIG);

function definitions(): Record<string, string> {
  return {
    'b.ndb': `Test.Proof.Body-1-0:0:*:${Buffer.from(SIG).toString('hex')}\n`,
    'h.hdb': `${md5(HASHED)}:${HASHED.length}:Test.Proof.Hash-2-0\n`,
    'a.fp': `${md5(ALLOWED)}:${ALLOWED.length}:Allowed.Member\n`,
  };
}

/** A tar entry preceded by a pax header that gives it a size its own header does not. */
function paxSized(name: string, data: Buffer): Buffer {
  const rec = (k: string, v: string): string => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len++;
    return `${len}${body}`;
  };
  const pax = Buffer.from(rec('size', String(data.length)));
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  return Buffer.concat([tarHeader('PaxHeader', pax.length, 'x'), pad(pax), tarHeader(name, 0, '0'), pad(data), Buffer.alloc(1024)]);
}

function encryptedFlag(zip: Buffer): Buffer {
  // Marks every entry encrypted (bit 0) in the local and central headers: counted, not scanned.
  const out = Buffer.from(zip);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6);
    if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8);
  }
  return out;
}

// name -> [content, proven natively?]
function corpus(): Record<string, [Buffer, boolean]> {
  const clean = text(4000, 3);
  const hit = put(text(4000, 4), 1500, SIG);
  const tgzClean = gzip(makeTar([{ name: 'a.txt', data: clean }, { name: 'dir/', type: '5' }, { name: 'b.bin', data: rand(9000, 5) }]));
  return {
    'clean.zip': [makeZip([{ name: 'a.txt', data: clean }, { name: 'b.bin', data: rand(5000, 6), method: 0 }, { name: 'dir/', data: Buffer.alloc(0), method: 0 }]), true],
    'clean.tar': [makeTar([{ name: 'a.txt', data: clean }, { name: 'link', type: '2' }]), true],
    'clean.tar.gz': [tgzClean, true],
    'clean.gz': [gzip(clean, 'inner.txt'), true],
    'clean-nested.tar.gz': [gzip(makeTar([{ name: 'in.zip', data: makeZip([{ name: 'deep.tar', data: makeTar([{ name: 'x.txt', data: clean }]) }]) }])), true],
    // Entries the walker reports as unscanned: not a clean archive to prove.
    'encrypted-entry.zip': [encryptedFlag(makeZip([{ name: 'secret.bin', data: hit }])), false],
    'bzip2-entry.zip': [makeZip([{ name: 'a.txt', data: clean }, { name: 'b.bz2', data: rand(300, 8), method: 12, size: 900 }]), false],
    // A zip behind a prefix, or a member whose end may be a zip: the walker looks for it.
    'prefixed.zip': [makeZip([{ name: 'a.txt', data: clean }], { prefix: rand(4096, 9) }), false],
    'sfx-member.zip': [makeZip([{ name: 'setup.exe', data: makeZip([{ name: 'in.txt', data: clean }], { prefix: rand(2048, 10) }), method: 0 }]), false],
    // Tars after a tar's end-of-archive blocks are read on (tar --ignore-zeros); zeros are not.
    'concat.tar': [Buffer.concat([makeTar([{ name: 'a.txt', data: clean }]), makeTar([{ name: 'e.com', data: eicar() }])]), false],
    'concat-clean.tar': [Buffer.concat([makeTar([{ name: 'a.txt', data: clean }]), makeTar([{ name: 'b.txt', data: text(3000, 11) }])]), false],
    'zero-padded.tar': [Buffer.concat([makeTar([{ name: 'a.txt', data: clean }]), Buffer.alloc(8192)]), true],
    // A zip appended to a tar or a gzip: walked after them.
    'zip-after.tar': [Buffer.concat([makeTar([{ name: 'a.txt', data: clean }]), makeZip([{ name: 'e.com', data: eicar() }])]), false],
    'zip-after.gz': [Buffer.concat([gzip(clean), makeZip([{ name: 'b.txt', data: text(2000, 12) }])]), false],
    'hit.zip': [makeZip([{ name: 'in/hit.txt', data: hit }]), false],
    'hit.tar.gz': [gzip(makeTar([{ name: 'a.txt', data: clean }, { name: 'hit.txt', data: hit }])), false],
    'hit.gz': [gzip(hit, 'hit.txt'), false],
    'hit-nested.zip': [makeZip([{ name: 'l1.tar.gz', data: gzip(makeTar([{ name: 'l2.zip', data: makeZip([{ name: 'deep.txt', data: hit }]) }])) }]), false],
    'hash-member.zip': [makeZip([{ name: 'hashed.bin', data: HASHED }]), false],
    'allowed-member.zip': [makeZip([{ name: 'allowed.bin', data: ALLOWED }]), false],
    'eicar-member.tar.gz': [gzip(makeTar([{ name: 'a.txt', data: clean }, { name: 'e.com', data: eicar() }])), false],
    'eicar-padded-member.zip': [makeZip([{ name: 'e.com', data: Buffer.concat([eicar(), Buffer.from(' \r\n')]) }]), false],
    // Small members that are not the EICAR file are no evidence: still proven clean natively.
    'small-members.tar.gz': [gzip(makeTar([{ name: 'index.js', data: Buffer.from('module.exports = 1;\n') }, { name: 'near.txt', data: Buffer.concat([eicar(), Buffer.from('x')]) }])), true],
    'pax-sized.tar.gz': [gzip(paxSized('hidden.txt', hit)), false],
    'multi-member.gz': [Buffer.concat([gzip(clean), gzip(hit)]), false],
    'trailing-bytes.zip': [Buffer.concat([makeZip([{ name: 'a.txt', data: clean }]), Buffer.from('trailing')]), false],
    'truncated.tar.gz': [tgzClean.subarray(0, tgzClean.length - 40), false],
    'overlap.zip': [makeOverlappingZip(clean, 3), false],
    'ratio.zip': [makeZip([{ name: 'zeros.bin', data: Buffer.alloc(3 << 20) }]), false],
    'deep-enough.zip': [makeZip([{ name: 'a.zip', data: makeZip([{ name: 'b.zip', data: makeZip([{ name: 'c.txt', data: clean }]) }]) }]), true],
    'too-deep.zip': [makeZip([{ name: 'a.zip', data: makeZip([{ name: 'b.zip', data: makeZip([{ name: 'c.zip', data: makeZip([{ name: 'd.txt', data: clean }]) }]) }]) }]), false],
    'too-many.zip': [makeZip(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, data: text(300, 10 + i) }))), false],
    'too-large-member.tar': [makeTar([{ name: 'big.bin', data: rand(200_000, 7) }]), false],
  };
}

async function check(t: Test, limits: Partial<ArchiveLimits>, ctx: ScanContext = CTX): Promise<void> {
  const set = await loadSet(t, [defsDir(t, definitions())]);
  const engine = createEngine({ definitions: set, native, archiveLimits: limits });
  const dir = tmpDir(t);
  const files = corpus();
  const names = Object.keys(files);
  const paths = writeFiles(dir, Object.fromEntries(names.map((n) => [n, files[n]![0]])));
  for (let i = 0; i < paths.length; i++) {
    const before = engine.stats();
    const out = await engine.scanBatch({ fds: openAll([paths[i]!]), path: () => paths[i]! }, ctx);
    const after = engine.stats();
    const proven = after.archivesProvenNative - before.archivesProvenNative === 1;
    t.equal(proven, files[names[i]!]![1], `${names[i]}: ${files[names[i]!]![1] ? 'proven clean natively' : 'walked in JavaScript'}`);
    t.equal(proven || after.archivesWalked - before.archivesWalked === 1, true, `${names[i]}: proven or walked, once`);
    const one = await engine.scan({ path: paths[i]! }, ctx);
    const got = perFile(out, 1)[0]!;
    t.equal(verdictOf(got), verdictOf(one), `${names[i]}: the verdict of engine.scan (${verdictOf(one)})`);
    if (ctx.computeHash) t.equal(got !== 'clean' && got.sha256, one.sha256, `${names[i]}: the file's sha256 with it`);
  }
}

t.test('proven clean natively, or walked with the verdict of engine.scan', { skip }, (t) =>
  check(t, { maxDepth: 3, maxFiles: 5, maxFileSize: 100_000 }),
);

t.test('the same with enableFileHashComputation (every result carries its sha256)', { skip }, (t) =>
  check(t, { maxDepth: 3, maxFiles: 5, maxFileSize: 100_000 }, { ...CTX, computeHash: true }),
);

t.test('the detections the walk gives are still given', { skip }, async (t) => {
  const set = await loadSet(t, [defsDir(t, definitions())]);
  const engine = createEngine({ definitions: set, native, archiveLimits: { maxDepth: 3, maxFiles: 5, maxFileSize: 100_000 } });
  const dir = tmpDir(t);
  const files = corpus();
  const names = Object.keys(files);
  const paths = writeFiles(dir, Object.fromEntries(names.map((n) => [n, files[n]![0]])));
  const out = await engine.scanBatch({ fds: openAll(paths), path: (i) => paths[i]! }, CTX);
  const got = Object.fromEntries(perFile(out, paths.length).map((r, i) => [names[i]!, verdictOf(r)]));
  t.match(got, {
    'hit.zip': 'Test.Proof.Body-1-0/body@in/hit.txt',
    'hit.tar.gz': 'Test.Proof.Body-1-0/body@hit.txt',
    'hit.gz': 'Test.Proof.Body-1-0/body@hit.txt',
    'hit-nested.zip': 'Test.Proof.Body-1-0/body@l1.tar.gz->l2.zip->deep.txt',
    'hash-member.zip': 'Test.Proof.Hash-2-0/hash@hashed.bin',
    'allowed-member.zip': 'clean',
    'eicar-member.tar.gz': 'Virus:DOS/EICAR_Test_File/builtin@e.com',
    'pax-sized.tar.gz': 'Test.Proof.Body-1-0/body@hidden.txt',
    'concat.tar': 'Virus:DOS/EICAR_Test_File/builtin@e.com',
    'zip-after.tar': 'Virus:DOS/EICAR_Test_File/builtin@e.com',
    'zip-after.gz': 'clean',
    'overlap.zip': /^Heuristics\.Zip\.OverlappingFiles\//,
    'ratio.zip': /^Heuristics\.Limits\.Exceeded\.MaxCompressionRatio\//,
    'too-deep.zip': /^Heuristics\.Limits\.Exceeded\.MaxRecursion\//,
    'too-many.zip': /^Heuristics\.Limits\.Exceeded\.MaxFiles\//,
    'too-large-member.tar': /^Heuristics\.Limits\.Exceeded\.MaxFileSize\//,
    'clean.zip': 'clean',
    'clean-nested.tar.gz': 'clean',
    'bzip2-entry.zip': 'clean, unscanned: b.bz2 (unsupported_method) of 1',
    'encrypted-entry.zip': 'clean, unscanned: secret.bin (encrypted) of 1',
  });
  t.equal(zlib.gunzipSync(files['multi-member.gz']![0]).includes(SIG), true, 'the multi-member gzip hides the signature in its second member');
});

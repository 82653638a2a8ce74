// Large files are read in chunks with Vectorscan streaming mode: a signature straddling a chunk
// (1 MiB) boundary matches, from a path, from an fd and from a stream of small chunks.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { CTX, engineFor, MATCHERS, outcome, tmpDir } from '../helpers/engine-fixtures.js';

const MiB = 1 << 20;
const SIG = Buffer.from('STRADDLING-SIGNATURE');

function straddling(size: number, at: number): Buffer {
  const b = Buffer.alloc(size, 0x2e);
  SIG.copy(b, at);
  return b;
}

for (const m of MATCHERS) {
  t.test(`${m}: a signature across the 1 MiB boundary matches (path and fd)`, async (t) => {
    // A hash signature of the straddling files' size makes the engine hash them, which takes
    // the chunk-by-chunk path; the clean file (another size) takes the batched native path.
    const engine = await engineFor(
      t,
      { 's.ndb': `Test.Straddle-1-0:0:*:${SIG.toString('hex')}\n`, 'h.hdb': `${'0'.repeat(32)}:${3 * MiB + 100}:Unrelated.Hash-1-0\n` },
      { bodyMatcher: m },
    );
    const dir = tmpDir(t);
    for (const at of [MiB - 10, 2 * MiB - 1, 3 * MiB - SIG.length + 1]) {
      const file = path.join(dir, `f${at}`);
      fs.writeFileSync(file, straddling(3 * MiB + 100, at));
      t.equal(outcome(await engine.scan({ path: file }, CTX)), 'Test.Straddle-1-0', `path, at ${at}`);
      const fd = fs.openSync(file, 'r');
      t.equal(outcome(await engine.scan({ fd }, CTX)), 'Test.Straddle-1-0', `fd, at ${at}`);
      t.ok(fs.fstatSync(fd).isFile(), 'the fd is still open');
      fs.closeSync(fd);
    }
    const clean = path.join(dir, 'clean');
    const c = straddling(3 * MiB, MiB - 10);
    c[MiB] = 0x2e; // break the signature right at the boundary
    fs.writeFileSync(clean, c);
    t.equal(outcome(await engine.scan({ path: clean }, CTX)), 'clean');
    const batched = path.join(dir, 'batched');
    fs.writeFileSync(batched, straddling(3 * MiB, 2 * MiB - 7));
    t.equal(outcome(await engine.scan({ path: batched }, CTX)), 'Test.Straddle-1-0', 'batched native reads');
  });
}

t.test('vectorscan: an EOF-anchored signature at the end of a 5 MiB file', async (t) => {
  const engine = await engineFor(t, { 'e.ndb': `Test.Tail-1-0:0:EOF-20:${SIG.toString('hex')}\n` });
  const dir = tmpDir(t);
  const yes = path.join(dir, 'yes');
  fs.writeFileSync(yes, straddling(5 * MiB, 5 * MiB - 20));
  const no = path.join(dir, 'no');
  fs.writeFileSync(no, straddling(5 * MiB, 5 * MiB - 21));
  t.equal(outcome(await engine.scan({ path: yes }, CTX)), 'Test.Tail-1-0');
  t.equal(outcome(await engine.scan({ path: no }, CTX)), 'clean');
});

for (const m of MATCHERS) {
  t.test(`${m}: scanStream with tiny chunks, known and unknown size`, async (t) => {
    const data = straddling(70_000, 65_530);
    const md5 = createHash('md5').update(data).digest('hex');
    const engine = await engineFor(
      t,
      {
        's.ndb': `Test.Stream-1-0:0:*:${SIG.toString('hex')}\nTest.StreamEof-2-0:0:EOF-${data.length - 65_530}:${SIG.toString('hex')}\n`,
        'h.hdb': `${md5}:${data.length}:Test.StreamHash-3-0\n`,
      },
      { bodyMatcher: m },
    );
    const chunks = (n: number): Buffer[] => Array.from({ length: Math.ceil(data.length / n) }, (_, i) => data.subarray(i * n, (i + 1) * n));
    for (const n of [7, 1000, 65_536]) {
      t.equal(outcome(await engine.scanStream(chunks(n), data.length, CTX)), 'Test.StreamHash-3-0', `chunks of ${n}, size known: hash wins`);
      t.equal(outcome(await engine.scanStream(Readable.from(chunks(n)), undefined, CTX)), 'Test.StreamHash-3-0', `chunks of ${n}, size unknown`);
    }
    const other = Buffer.concat([data, Buffer.from('!')]);
    t.equal(outcome(await engine.scanStream([other], undefined, CTX)), 'Test.Stream-1-0', 'hash no longer matches; EOF-n no longer at its place');
    t.equal(outcome(await engine.scanStream([other], undefined, { ...CTX, maxFileSize: 1000 })), 'skipped:too_large');
    t.equal(outcome(await engine.scanStream([data.subarray(0, 100)], 100, CTX)), 'clean');
  });
}

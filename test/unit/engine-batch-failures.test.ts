// What the native batch pass does with files it cannot scan, compared with engine.scan on the
// same fd: a directory and a FIFO are skipped (not regular files), a file above maxFileSize is
// skipped as too large, an fd that is not open is an error — and whatever happens, every fd
// handed to scanBatch is closed when it resolves. A cancelled scan leaves its files unscanned
// (WDAV_ERR_SCAN_CANCELLED) and still closes them.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createEngine } from '../../src/engine/engine.js';
import { scanBatchBinding } from '../../src/engine/batch-native.js';
import type { ScanContext } from '../../src/engine/types.js';
import { loadNative } from '../../src/shared/native.js';
import { tmpDir } from '../helpers/engine-fixtures.js';
import { openFdCount } from '../helpers/scan-walk.js';
import { perFile, verdictOf } from '../helpers/batch-fixtures.js';

const native = loadNative();
const skip = scanBatchBinding(native) ? false : 'addon without the batch scanner';
const ctx = (o: Partial<ScanContext> = {}): ScanContext => ({ origin: 'on_demand', scanArchives: true, maxFileSize: 0, ...o });
const NOT_OPEN = 1_000_000; // far above any fd this process has open

t.test('non-regular, too large and unopened fds: the results of engine.scan, all fds closed', { skip }, async (t) => {
  const dir = tmpDir(t);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const big = path.join(dir, 'big.bin');
  fs.writeFileSync(big, Buffer.alloc(5000, 1));
  const small = path.join(dir, 'small.txt');
  fs.writeFileSync(small, 'small and clean');
  const open = () => [
    fs.openSync(dir, fs.constants.O_RDONLY),
    fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK),
    fs.openSync(big, 'r'),
    fs.openSync(small, 'r'),
  ];
  const engine = createEngine({ native });
  const c = ctx({ maxFileSize: 4096 });
  const single: string[] = [];
  for (const fd of open()) {
    single.push(verdictOf(await engine.scan({ fd }, c)));
    fs.closeSync(fd);
  }
  single.push(verdictOf(await engine.scan({ fd: NOT_OPEN }, c)));
  const before = openFdCount();
  const fds = Int32Array.from([...open(), NOT_OPEN]);
  const out = await engine.scanBatch({ fds }, c);
  t.equal(openFdCount(), before, 'every fd the batch was given is closed');
  const batch = perFile(out, fds.length).map(verdictOf);
  t.same(batch, single);
  t.same(batch, ['skipped:not_regular_file', 'skipped:not_regular_file', 'skipped:too_large', 'clean', 'error:WDAV_ERR_FILE_UNREADABLE']);
  t.equal(out.cleanBytes, 'small and clean'.length, 'bytes of the clean file');
});

t.test('a cancelled scan: remaining files unscanned and closed', { skip }, async (t) => {
  const dir = tmpDir(t);
  const paths = Array.from({ length: 20 }, (_, i) => path.join(dir, `f${i}`));
  for (const p of paths) fs.writeFileSync(p, Buffer.alloc(300_000, 7));
  const engine = createEngine({ native });
  const ac = new AbortController();
  ac.abort();
  const before = openFdCount();
  const fds = Int32Array.from(paths, (p) => fs.openSync(p, 'r'));
  const out = await engine.scanBatch({ fds }, ctx({ signal: ac.signal }));
  t.equal(openFdCount(), before, 'all closed');
  t.same(new Set(perFile(out, fds.length).map(verdictOf)), new Set(['error:WDAV_ERR_SCAN_CANCELLED']));
});

t.test('archives left to the walker are closed too, in memory or not', { skip }, async (t) => {
  const dir = tmpDir(t);
  // 40 tar files of 64 KiB: more than the in-memory area holds, so some are walked from their fd.
  const tar = Buffer.alloc(65_536);
  tar.write('member.txt', 0);
  tar.write('0000644\0', 100);
  tar.write('00000000010\0', 124);
  tar.write('        ', 148);
  tar.write('0', 156);
  tar.write('ustar\0', 257);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i]!;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const paths = Array.from({ length: 40 }, (_, i) => path.join(dir, `a${i}.tar`));
  for (const p of paths) fs.writeFileSync(p, tar);
  const before = openFdCount();
  const fds = Int32Array.from(paths, (p) => fs.openSync(p, 'r'));
  const out = await createEngine({ native }).scanBatch({ fds, path: (i) => paths[i]! }, ctx());
  t.equal(out.clean, 40);
  t.equal(openFdCount(), before, 'all closed');
});

// Files that vanish, shrink or are not regular files give a skipped/error result, never an
// exception; an fd is read through (never reopened by path) and never closed by the engine.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createEngine } from '../../src/engine/engine.js';
import { eicarBytes } from '../../src/definitions/eicar.js';
import { CTX, outcome, tmpDir } from '../helpers/engine-fixtures.js';

const engine = createEngine();

t.test('a file deleted between open and read is still scanned through its fd', async (t) => {
  const file = path.join(tmpDir(t), 'gone');
  fs.writeFileSync(file, eicarBytes());
  const fd = fs.openSync(file, 'r');
  t.teardown(() => fs.closeSync(fd));
  fs.unlinkSync(file);
  t.equal(outcome(await engine.scan({ fd, path: file }, CTX)), 'Virus:DOS/EICAR_Test_File');
  t.equal(outcome(await engine.scan({ fd }, CTX)), 'Virus:DOS/EICAR_Test_File', 'scanned twice: offset 0 each time, fd left open');
});

t.test('a path that vanished is skipped, not thrown', async (t) => {
  const file = path.join(tmpDir(t), 'never-there');
  t.same(await engine.scan({ path: file }, CTX), { kind: 'skipped', reason: 'not_found', generation: 0 });
  t.equal(outcome(await engine.scan({ path: path.join(file, 'below') }, CTX)), 'skipped:not_found');
});

t.test('symlinks, directories and FIFOs are refused without blocking', async (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'target'), eicarBytes());
  fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'link'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  t.equal(outcome(await engine.scan({ path: path.join(dir, 'link') }, CTX)), 'skipped:symlink');
  t.equal(outcome(await engine.scan({ path: dir }, CTX)), 'skipped:not_regular_file');
  t.equal(outcome(await engine.scan({ path: path.join(dir, 'fifo') }, CTX)), 'skipped:not_regular_file');
  t.equal(outcome(await engine.scan({ path: Buffer.from(path.join(dir, 'target')) }, CTX)), 'Virus:DOS/EICAR_Test_File', 'Buffer paths work');
});

t.test('a bad fd is an error result with a code', async (t) => {
  const fd = fs.openSync(path.join(tmpDir(t), 'x'), 'w');
  fs.closeSync(fd);
  const r = await engine.scan({ fd }, CTX);
  t.match(r, { kind: 'error', code: 'WDAV_ERR_FILE_UNREADABLE', message: /EBADF|bad file descriptor/i });
});

t.test('a file truncated while it is read ends the read early, no exception', async (t) => {
  const dir = tmpDir(t);
  const small = createEngine({ chunkSize: 64 * 1024 });
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, `shrink${i}`);
    fs.writeFileSync(file, Buffer.alloc(8 << 20, 0x61));
    const p = small.scan({ path: file }, CTX);
    setImmediate(() => fs.truncateSync(file, 1000 * i));
    const r = await p;
    t.equal(r.kind, 'clean');
    if (r.kind === 'clean') t.ok(r.bytes <= 8 << 20);
  }
});

t.test('an aborted scan reports cancellation', async (t) => {
  const file = path.join(tmpDir(t), 'big');
  fs.writeFileSync(file, Buffer.alloc(4 << 20));
  const ac = new AbortController();
  ac.abort();
  t.match(await engine.scan({ path: file }, { ...CTX, signal: ac.signal }), { kind: 'error', code: 'WDAV_ERR_SCAN_CANCELLED' });
  t.equal(engine.stats().inFlight, 0);
});

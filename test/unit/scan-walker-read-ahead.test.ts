// The walker lists a bounded number of batches ahead of its caller (READ_AHEAD), in order, and
// close() closes the files of the batches it listed ahead that nobody took.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadNative } from '../../src/shared/native.js';
import { ScanWalker } from '../../src/scan/walker.js';
import { tmpDir, openFdCount } from '../helpers/scan-walk.js';

function tree(t: Parameters<typeof tmpDir>[0], files: number): { root: string; paths: string[] } {
  const root = tmpDir(t);
  const paths: string[] = [];
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `d${i % 4}`);
    fs.mkdirSync(dir, { recursive: true });
    const p = path.join(dir, `f${i}`);
    fs.writeFileSync(p, String(i));
    paths.push(p);
  }
  return { root, paths };
}

/**
 * Waits until at least `atLeast` fds are open, then until the count stops changing (the steps in
 * flight have landed): a loaded machine runs the walker's thread-pool steps late, so a count
 * that paused for one poll is not yet the final one.
 */
async function settledFds(atLeast = 0): Promise<number> {
  for (let i = 0; i < 250 && openFdCount() < atLeast; i++) await sleep(20);
  let n = openFdCount();
  for (let i = 0, still = 0; i < 100 && still < 3; i++) {
    await sleep(20);
    const m = openFdCount();
    still = m === n ? still + 1 : 0;
    n = m;
  }
  return n;
}

t.test('at most readAhead batches are held ahead, and every file comes once', async (t) => {
  const { root, paths } = tree(t, 80);
  const before = openFdCount();
  const w = new ScanWalker(loadNative(), { roots: [root], exclusions: null, batch: 4, readAhead: 3 });
  const first = await w.next();
  t.ok(first, 'a first batch');
  // The caller holds `first`; the walker lists ahead until 3 batches are waiting, then stops.
  const held = (await settledFds(before + 4 + 3 * 4)) - before;
  t.ok(held >= 4 + 3 * 4, `the batches ahead are opened (${held} fds beyond the start)`);
  t.ok(held <= 4 + 3 * 4 + 8, `and no more than 3 batches ahead (${held} fds; a few are directories)`);
  const seen: string[] = [];
  for (let b = first; b; b = await w.next()) {
    for (let i = 0; i < b.length; i++) {
      seen.push(b.path(i));
      fs.closeSync(b.fds[i]!);
    }
  }
  await w.close();
  t.same([...seen].sort(), [...paths].sort(), 'every file once');
  t.equal(w.counts.files, paths.length);
  t.equal(openFdCount(), before, 'no fd left open');
});

t.test('close() closes the files of the batches listed ahead', async (t) => {
  const { root } = tree(t, 80);
  const before = openFdCount();
  const w = new ScanWalker(loadNative(), { roots: [root], exclusions: null, batch: 4, readAhead: 3 });
  const b = await w.next();
  await settledFds();
  for (let i = 0; i < b!.length; i++) fs.closeSync(b!.fds[i]!);
  await w.close();
  t.equal(await w.next(), null, 'nothing after close');
  t.equal(await settledFds(), before, 'the read-ahead batches are closed');
});

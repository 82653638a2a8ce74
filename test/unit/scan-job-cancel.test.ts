// Cancelling a running scan stops admitting files at once, lets the files being scanned
// finish, closes every fd it had taken (scanned or not), and ends in state 'cancelled'.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../src/engine/types.js';
import { tmpDir, openFdCount } from '../helpers/scan-walk.js';
import { makeJob } from '../helpers/scan-job.js';

t.test('cancel mid-scan', async (t) => {
  const root = tmpDir(t);
  for (let d = 0; d < 20; d++) {
    fs.mkdirSync(path.join(root, `d${d}`));
    for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(root, `d${d}`, `f${f}`), `file ${d}/${f}\n`);
  }
  const fds = openFdCount();
  let scans = 0;
  // Slow the real engine down a little so the cancel lands in the middle.
  const slow = (e: Engine): Engine => ({
    get generation() {
      return e.generation;
    },
    async scan(src, ctx) {
      scans++;
      await new Promise((r) => setTimeout(r, 1));
      return e.scan(src, ctx);
    },
  });
  const h = makeJob([root], { wrap: slow, batch: 16 });
  const run = h.job.run();
  while (h.job.filesScanned < 100) await new Promise((r) => setTimeout(r, 5));
  h.job.cancel('test cancel');
  const s = await run;
  t.equal(s.state, 'cancelled');
  t.equal(s.message, 'test cancel');
  t.ok(s.filesScanned >= 100 && s.filesScanned < 2000, `stopped early (${s.filesScanned} of 2000)`);
  t.ok(scans - s.filesScanned <= 4, 'at most the files in flight were still handed to the engine');
  t.equal(openFdCount(), fds, 'every fd closed, also those never scanned');
  t.equal(h.limiter.inUse, 0, 'every slot released');
  t.equal(h.job.progress().state, 'cancelled');
});

t.test('cancel before the first batch', async (t) => {
  const root = tmpDir(t);
  for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(root, `f${f}`), 'x');
  const fds = openFdCount();
  const h = makeJob([root]);
  const run = h.job.run();
  h.job.cancel();
  const s = await run;
  t.equal(s.state, 'cancelled');
  t.equal(s.filesScanned, 0);
  t.equal(openFdCount(), fds);
});

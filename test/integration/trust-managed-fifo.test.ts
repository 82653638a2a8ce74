// The managed file is opened without blocking (issue #11, finding 5): a FIFO in its place used
// to hang the daemon in open() at start (no writer ever comes). Now it is refused as not a
// regular file: the daemon starts and health says why.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { TestDaemon } from '../helpers/daemon.js';
import { readyOrExit } from '../helpers/trust.js';

t.test('managed file is a FIFO: refused without hanging', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-fifo-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('mkfifo', ['-m', '0600', path.join(dir, 'managed.json')]);
  const d = await TestDaemon.start(t, { dir, waitReady: false });
  const state = await readyOrExit(d, 10_000);
  if (state !== 'ready') await d.kill();
  t.equal(state, 'ready', 'the daemon started');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.match(h.health_issues.join('\n'), new RegExp(`${d.managedFile}.*not a regular file`), 'health says why');
});

// The managed file is read with a bound (issue #11, finding 5): as a symbolic link to /dev/zero
// it was read whole before its size was checked and took the daemon to 14.7 GB in 9 s. Now it
// is refused at once (a link, not a regular file): the daemon starts, stays small and says why.
// The test kills the daemon if its memory passes the bound, so the old behaviour cannot take
// the machine down.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { readyOrExit } from '../helpers/trust.js';

const RSS_BOUND_KB = 400 * 1024;

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

t.test('managed file → /dev/zero: refused quickly, memory stays small', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-zero-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.symlinkSync('/dev/zero', path.join(dir, 'managed.json'));
  const d = await TestDaemon.start(t, { dir, waitReady: false });
  let peak = 0;
  const watch = setInterval(() => {
    peak = Math.max(peak, rssKb(d.proc.pid!));
    if (peak > RSS_BOUND_KB) void d.kill();
  }, 20);
  t.teardown(() => clearInterval(watch));
  const t0 = Date.now();
  const state = await readyOrExit(d, 15_000);
  if (state !== 'ready') await d.kill();
  t.equal(state, 'ready', `the daemon started (peak RSS ${Math.round(peak / 1024)} MB)`);
  t.ok(Date.now() - t0 < 15_000, 'quickly');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.match(h.health_issues.join('\n'), new RegExp(`${d.managedFile}.*symbolic link`), 'health says why');
  const diag = await d.mdatp(['diagnostic', 'create', '--path', dir]);
  t.equal(diag.code, 0, `a diagnostic archive does not read it either: ${diag.stderr}`);
  peak = Math.max(peak, rssKb(d.proc.pid!));
  t.ok(peak < RSS_BOUND_KB, `peak RSS ${Math.round(peak / 1024)} MB stays under ${RSS_BOUND_KB / 1024} MB`);
});

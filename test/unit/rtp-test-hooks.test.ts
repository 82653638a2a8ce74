// The test-only stall hook exists only with WDAV_TEST_HOOKS=1: without it no SIGUSR2 handler
// is installed; with it SIGUSR2 blocks the JS thread for WDAV_TEST_STALL_MS (bounded).
import t from 'tap';
import { installTestHooks, stallMs } from '../../src/rtp/test-hooks.js';
import { LoggerFactory } from '../../src/shared/logger.js';

/** Runs `fn`, then reports the longest gap between 5 ms ticks of the event loop over 1.5 s. */
async function longestGap(fn: () => void): Promise<number> {
  let last = Date.now();
  let max = 0;
  const tick = setInterval(() => {
    const now = Date.now();
    max = Math.max(max, now - last);
    last = now;
  }, 5);
  fn();
  await new Promise((r) => setTimeout(r, 1500));
  clearInterval(tick);
  return max;
}

const logger = new LoggerFactory({ level: 'error', destination: { write() {} } }).child('rtp');

t.test('absent unless enabled', async (t) => {
  const before = process.listenerCount('SIGUSR2');
  t.equal(installTestHooks(logger, {}), null);
  t.equal(installTestHooks(logger, { WDAV_TEST_HOOKS: '0' }), null);
  t.equal(process.listenerCount('SIGUSR2'), before);
});

t.test('enabled: SIGUSR2 stalls the thread for the configured time', async (t) => {
  const off = installTestHooks(logger, { WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '300' });
  t.ok(off);
  t.teardown(() => off?.());
  t.ok(await longestGap(() => process.kill(process.pid, 'SIGUSR2')) >= 290, 'the event loop stood still for the stall');
  t.equal(stallMs({ WDAV_TEST_STALL_MS: '999999' }), 60000, 'bounded');
  t.equal(stallMs({ WDAV_TEST_STALL_MS: 'x' }), 3000);
});

t.test('a release file ends the stall early', async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-hook-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const release = path.join(dir, 'go');
  fs.writeFileSync(release, '');
  const off = installTestHooks(logger, { WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '5000', WDAV_TEST_STALL_RELEASE: release });
  t.teardown(() => off?.());
  const gap = await longestGap(() => process.kill(process.pid, 'SIGUSR2'));
  t.ok(gap < 1000, `released at once (longest loop gap ${gap} ms), not after 5 s`);
});

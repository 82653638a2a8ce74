// The test-only stall hook exists only with WDAV_TEST_HOOKS=1: without it no SIGUSR2 handler
// is installed; with it SIGUSR2 blocks the JS thread for WDAV_TEST_STALL_MS (bounded).
import t from 'tap';
import { installTestHooks, stallMs } from '../../src/rtp/test-hooks.js';
import { LoggerFactory } from '../../src/shared/logger.js';

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
  const t0 = Date.now();
  let timerAt = 0;
  const timer = new Promise<void>((r) => setTimeout(() => ((timerAt = Date.now()), r()), 10));
  process.kill(process.pid, 'SIGUSR2');
  await timer;
  t.ok(timerAt - t0 >= 290, `a 10 ms timer fired after ${timerAt - t0} ms`);
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
  const t0 = Date.now();
  let timerAt = 0;
  const timer = new Promise<void>((r) => setTimeout(() => ((timerAt = Date.now()), r()), 10));
  process.kill(process.pid, 'SIGUSR2');
  await timer;
  t.ok(timerAt - t0 < 1000, `released at once (${timerAt - t0} ms), not after 5 s`);
});

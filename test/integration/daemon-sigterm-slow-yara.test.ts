// SIGTERM during a slow YARA scan (issue #11, finding 2): the daemon stops the scan and exits
// with status 0 within seconds, and its scanner process with it, — far inside systemd's TimeoutStopSec (45 s) — instead of
// logging "stopped" and staying alive at 100% CPU.
import t from 'tap';
import fs from 'node:fs';
import { cpuOver, scannerPid, slowScanDaemon } from '../helpers/yara-slow.js';

t.test('SIGTERM while a slow YARA scan runs: exit 0 within 10 s', { skip: process.platform !== 'linux' && 'reads /proc', timeout: 40_000 }, async (t) => {
  const { d, slow } = await slowScanDaemon(t, 60_000);
  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [slow] });
  t.equal(started.status, 201);
  // The machine may be shared: any clear growth shows the burn (an idle scanner uses ~0).
  const scanner = await scannerPid(d);
  const burn = await cpuOver(scanner, 1000);
  t.ok(burn > 0.1, `the scan burns CPU (${burn.toFixed(2)} s in 1 s)`);

  const t0 = Date.now();
  d.proc.kill('SIGTERM');
  let exited = true;
  try {
    await d.waitExit(10_000);
  } catch {
    exited = false;
  }
  t.ok(exited, `the daemon exited within 10 s (${Date.now() - t0} ms)`);
  t.equal(d.exitCode, 0, 'with status 0');
  t.ok(d.logs.some((l) => l.msg === 'stopped'), 'after an orderly shutdown');
  // Gone, or a zombie its new parent has not reaped yet: either way it runs no more.
  const state = fs.existsSync(`/proc/${scanner}/stat`) ? fs.readFileSync(`/proc/${scanner}/stat`, 'utf8').replace(/^.*\) /s, '')[0] : 'gone';
  t.ok(state === 'gone' || state === 'Z', `the scanner process is gone too (${state})`);
});

// `mdatp scan cancel` really stops a slow YARA scan (issue #11, finding 2): with a generous
// per-file limit, a custom scan over the slow-YARA file burns a core; after the cancel the
// scan is Cancelled and the scanner process's CPU time (from /proc/PID/stat) stops growing.
import t from 'tap';
import { cpuOver, scannerPid, slowScanDaemon } from '../helpers/yara-slow.js';

t.test('scan cancel stops the CPU burn of a slow YARA scan', { skip: process.platform !== 'linux' && 'reads /proc', timeout: 40_000 }, async (t) => {
  const { d, slow } = await slowScanDaemon(t, 60_000);
  const pid = await scannerPid(d);

  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [slow] });
  t.equal(started.status, 201);
  const id = started.json.scan.id as string;
  // The machine may be shared: any clear growth shows the burn (an idle scanner uses ~0).
  const before = await cpuOver(pid, 1000);
  t.ok(before > 0.1, `the scan burns CPU (${before.toFixed(2)} s in 1 s)`);

  const c = await d.mdatp(['scan', 'cancel']);
  t.equal(c.code, 0, c.stderr);
  t.equal(c.stdout.trim(), 'Scan cancelled');
  let state = 'running';
  const t0 = Date.now();
  while (state === 'running' && Date.now() - t0 < 5000) {
    state = (await d.api('GET', `/v1/scans/${id}`)).json.scan.state;
    if (state === 'running') await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(state, 'cancelled', `the scan ended as Cancelled (${Date.now() - t0} ms after the cancel)`);
  const after = await cpuOver(pid, 2000);
  t.ok(after < 0.2, `and the burn stopped (${after.toFixed(2)} s CPU in the 2 s after)`);
  const h = await d.api('GET', '/v1/health?details=features');
  t.equal(h.json.fields.scanner.in_flight, 0, 'no YARA scan is left in the scanner');
  t.equal(h.json.fields.scanner.pid, pid, 'by cancelling, not by killing the scanner');
});

// fanotify RTP: more permission events than the scan queue holds (JS frozen by the test-only
// hook while N threads open N files, N > queue capacity) — the events beyond the queue get the
// configured default response at once (here: deny), counted; the others are scanned and
// allowed; nothing waits for the deadline and no open is lost. The files exist before the daemon
// starts: files written while it runs are scanned after the write and need no event later.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bigTmpfs, health, skipFanotify, startRtpDaemon, NOBODY } from '../helpers/rtp.js';

const here = path.dirname(fileURLToPath(import.meta.url));

t.test('queue full → the default response, counted', { skip: skipFanotify }, async (t) => {
  const dir = bigTmpfs(t, 64);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-openmany-'));
  const release = path.join(bin, 'release');
  t.teardown(() => fs.rmSync(bin, { recursive: true, force: true }));
  fs.chmodSync(bin, 0o755);
  const prog = path.join(bin, 'open-many');
  execFileSync('cc', ['-O1', '-pthread', '-o', prog, path.join(here, 'fixtures', 'open-many.c')]);
  const capacity = 1024;
  const n = capacity + 600;
  // One byte each (empty files need no scan): distinct inodes, so no scan is shared.
  const files = path.join(dir, 'many');
  execFileSync('sh', ['-c', `mkdir -p ${files} && cd ${files} && i=0; while [ $i -lt ${n} ]; do printf x > f$i; i=$((i+1)); done; chmod -R a+rX ${files}`]);
  const d = await startRtpDaemon(t, {
    backend: 'fanotify',
    paths: [dir],
    managed: { wdavdaemon: { rtpTimeoutMs: 60000, rtpDefaultResponse: 'deny', scanQueueCapacity: capacity } },
    // Every event through JavaScript (what this test is about): native verdicts would allow
    // these clean files without it.
    env: { WDAV_RTP_NATIVE_VERDICTS: '0', WDAV_TEST_HOOKS: '1', WDAV_TEST_STALL_MS: '60000', WDAV_TEST_STALL_RELEASE: release },
  });
  t.equal((await health(d)).features.scan_queue.capacity, capacity, 'the managed queue capacity is in force');

  d.proc.kill('SIGUSR2');
  await d.waitForLog((r) => /test hook: stalling/.test(r.msg));
  const p = spawn(prog, [files, String(n)], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => p.kill('SIGKILL'));
  let out = '';
  p.stdout!.on('data', (c) => (out += c));
  // Release the daemon only once every thread waits in the kernel for its verdict.
  const waiting = () => fs.readdirSync(`/proc/${p.pid}/task`).filter((tid) => {
    try {
      return fs.readFileSync(`/proc/${p.pid}/task/${tid}/wchan`, 'utf8').trim() === 'fanotify_handle_event';
    } catch {
      return false;
    }
  }).length;
  // Polled slowly: reading thousands of wchan files is not free for the tests running alongside.
  let all = false;
  for (let i = 0; i < 120 && !all; i++) {
    await new Promise((r) => setTimeout(r, 500));
    all = out.includes('started') && waiting() === n;
  }
  t.ok(all, 'all threads wait for a verdict');
  fs.writeFileSync(release, '');
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  t.equal(code, 0, 'every thread finished its open');
  const m = /ok=(\d+) eperm=(\d+) other=(\d+)/.exec(out);
  t.ok(m, `result line: ${out.trim()}`);
  const [ok, eperm, other] = [Number(m![1]), Number(m![2]), Number(m![3])];
  t.equal(ok + eperm + other, n, 'no open lost');
  t.equal(other, 0, 'no other errors');
  t.ok(eperm > 0, `${eperm} opens got the default response (deny)`);
  t.ok(ok >= capacity / 2, `${ok} opens were scanned and allowed`);
  const h = await health(d);
  t.equal(h.features.real_time_protection_counters.queueFull, eperm, 'each default answer is counted as queue full');
  t.ok(h.features.scan_queue.fullCount >= eperm, 'the queue counted its refusals');
  const native = h.features.real_time_protection_native.answeredNatively;
  t.match(native, { timeout: 0, tableFull: 0, tsfnFull: 0 }, 'nothing was left to the deadline or dropped natively');
});

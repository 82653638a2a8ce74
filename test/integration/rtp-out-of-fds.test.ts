// The daemon runs out of file descriptors (its soft limit is lowered under it to the fds it
// already holds, so no new one fits). Opens on the monitored mount still succeed, answered
// with the default response without a scan instead of failing with EPERM; the log says so
// (coded, at most every 10 s) and mdatp health carries an issue; once fds are free again,
// scans resume and EICAR is refused again.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { eicar, health, openAs, put, skipFanotify, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';

function nofile(pid: number): { soft: number; hard: number } {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/).map(Number);
  return { soft: soft!, hard: hard! };
}

t.test('out of fds: clean opens succeed, health and log say why, scans resume after', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const clean = put(path.join(dir, 'clean.txt'), 'nothing to see');
  const bad = put(path.join(dir, 'eicar.com'), eicar().toString('latin1'));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const pid = d.proc.pid!;
  const limit = nofile(pid);

  const used = new Set(fs.readdirSync(`/proc/${pid}/fd`).map(Number));
  let lowest = 0;
  while (used.has(lowest)) lowest++;
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${lowest}:${limit.hard}`]);
  let restored = false;
  const restore = (): void => {
    if (!restored) execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit.soft}:${limit.hard}`]);
    restored = true;
  };
  t.teardown(restore);

  t.match(await openAs(clean), { ok: true, data: 'nothing to see' }, 'a clean file opens while the daemon has no fd to spare');
  restore();

  const h = await until(async () => {
    const x = await health(d);
    return x.features.real_time_protection_native?.reader.shortOfFds === 0 ? x : null;
  }, 5000);
  t.ok(h, 'the reader has its fd reserve back');
  const native = h!.features.real_time_protection_native;
  t.ok(native.answeredNatively.noFds >= 1, `answered natively for want of fds (${native.answeredNatively.noFds})`);
  t.equal(native.reader.readNoFds, 0, 'no event was denied by the kernel');
  t.equal(h!.fields.healthy, false);
  t.match(h!.fields.health_issues.join('\n'), /short of file descriptors: \d+ events were answered with the default response \(allow\)/, 'a health issue says so');

  const rec = await d.waitForLog((r) => r.msg === 'real-time protection is short of file descriptors', 12_000);
  t.match(rec, { err: { code: 'WDAV_ERR_OUT_OF_FDS' } }, 'logged with its code');
  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'scans resume: EICAR is refused again');
});

// `mdatp scan quick` covers MDE's set (the directories of it that exist); `mdatp scan full`
// covers / on local filesystems and never enters proc, sysfs, devtmpfs, cgroup and other
// pseudo filesystems (listed as skipped mounts). Both are cancelled here once they run.
// These scans walk the machine's real / — where other test files, running at the same time,
// keep their EICAR trees and mark their own tmpfs mounts under /tmp with fanotify listeners
// that count every open. So the daemon runs in passive mode (a quarantining daemon took
// scan-unreadable's 0600 file from under it in CI), and in a mount namespace of its own where
// every mount below /tmp is detached (its opens in other tests' mounts made fanotify-tsfn-full
// count an extra event) — except one holding this checkout: a clone under /tmp must still
// reach its dist/ and node_modules (a tmpfs over all of /tmp hid them: the daemon could not
// start). Its state and socket are under /var/tmp.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, TestDaemon } from '../helpers/daemon.js';
import { QUICK_SCAN_PATHS } from '../../src/scan/targets.js';

async function startAndCancel(d: TestDaemon, type: 'quick' | 'full') {
  const r = await d.api('POST', '/v1/scans', { type });
  if (r.status !== 201) throw new Error(`start ${type}: ${r.status} ${JSON.stringify(r.json)}`);
  const id = r.json.scan.id as string;
  let scan = r.json.scan;
  for (let i = 0; i < 400 && scan.filesScanned < 50 && scan.state === 'running'; i++) {
    await new Promise((res) => setTimeout(res, 25));
    scan = (await d.api('GET', `/v1/scans/${id}`)).json.scan;
  }
  await d.api('POST', '/v1/scans/cancel', { id });
  for (let i = 0; i < 400 && scan.state === 'running'; i++) {
    await new Promise((res) => setTimeout(res, 25));
    scan = (await d.api('GET', `/v1/scans/${id}`)).json.scan;
  }
  return scan;
}

const DETACH_TMP_MOUNTS = [
  'root="$1"; shift',
  'findmnt -rn -o TARGET | grep "^/tmp/" | sort -r | while read -r m; do',
  '  case "$root/" in "$m"/*) ;; *) umount -l "$m" || exit 1 ;; esac',
  'done || exit 1',
  'exec "$@"',
].join('\n');
const PRIVATE_TMP = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', DETACH_TMP_MOUNTS, 'sh', ROOT];

t.test('quick and full scan targets', { skip: process.getuid?.() === 0 ? false : 'needs root: a mount namespace of its own' }, async (t) => {
  const dir = fs.mkdtempSync(path.join('/var/tmp', 'wdav-quickfull-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await TestDaemon.start(t, { dir, launcher: PRIVATE_TMP, managed: { antivirusEngine: { enforcementLevel: 'passive' } } });
  const quick = await startAndCancel(d, 'quick');
  t.same(quick.paths, QUICK_SCAN_PATHS.filter((p) => fs.existsSync(p)), 'the quick set, as far as it exists');
  t.ok(quick.filesScanned > 0, 'it scanned files');
  t.equal(quick.state, 'cancelled');
  const full = await startAndCancel(d, 'full');
  t.same(full.paths, ['/']);
  for (const m of ['/proc', '/sys', '/dev']) t.ok(full.details.mountsSkipped.includes(m), `${m} is never entered`);
  t.equal(full.state, 'cancelled');
  const list = (await d.api('GET', '/v1/scans')).json.scans as { type: string }[];
  t.same(list.map((s) => s.type), ['full', 'quick']);
});

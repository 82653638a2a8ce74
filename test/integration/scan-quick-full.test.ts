// `mdatp scan quick` covers MDE's set (the directories of it that exist); `mdatp scan full`
// covers / on local filesystems and never enters proc, sysfs, devtmpfs, cgroup and other
// pseudo filesystems (listed as skipped mounts). Both are cancelled here once they run.
// The daemon runs in passive mode: these scans walk the machine's real /tmp and /, where other
// test files (running at the same time) keep their EICAR trees; a quarantining daemon would
// take those files from under them (seen in CI: scan-unreadable's 0600 file vanished).
import t from 'tap';
import fs from 'node:fs';
import { TestDaemon } from '../helpers/daemon.js';
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

t.test('quick and full scan targets', async (t) => {
  const d = await TestDaemon.start(t, { managed: { antivirusEngine: { enforcementLevel: 'passive' } } });
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

// The attack: fill the file system of the daemon's state directory (a tiny tmpfs here), then
// drop malware. Quarantine cannot write its copy (ENOSPC) and, once the disk is completely full,
// SQLite cannot commit (SQLITE_FULL). The daemon must say so — `mdatp health` healthy false with
// an issue naming the state directory and what failed — keep every detected file at its path
// (nothing lost, nothing half-done), keep scanning, and, when space returns, clear the issue and
// quarantine the next detection.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDaemon, isRoot, parseFields } from '../helpers/daemon.js';
import { eicar, scanJson, writeSignatures } from '../helpers/scan-daemon.js';
import { fillUp, scratchMount } from '../helpers/scratch-fs.js';

interface ThreatJson {
  id: string;
  path: string;
  status: string;
}

async function health(d: TestDaemon): Promise<{ healthy: string; issues: string[] }> {
  const r = await d.mdatp(['health']);
  const f = parseFields(r.stdout);
  return { healthy: f.healthy ?? '', issues: JSON.parse(f.health_issues ?? '[]') as string[] };
}

t.test('a full state directory is a health issue; files stay; it clears when space returns', { skip: !isRoot && 'needs root: mounts a tmpfs' }, async (t) => {
  const dir = scratchMount(t, '16m');
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-full-tree-'));
  t.teardown(() => fs.rmSync(tree, { recursive: true, force: true }));
  // A 1 MiB file detected by its hash: its quarantine copy needs far more room than a record.
  const big = randomBytes(1024 * 1024);
  writeSignatures(path.join(dir, 'definitions.d'), [{ data: big, name: 'Test.Hash.Big' }], []);
  const d = await TestDaemon.start(t, { dir });
  t.same(await health(d), { healthy: 'true', issues: [] }, 'healthy to begin with');

  // Almost full: a record fits, the copy does not.
  const filler = path.join(dir, 'filler');
  fillUp(filler, 512 * 1024);
  fs.writeFileSync(path.join(tree, 'big.bin'), big);
  const first = await scanJson(d, ['custom', '--path', tree]);
  t.equal(first.code, 0, `the scan goes on: ${first.stderr}`);
  t.equal(first.doc.threatsDetected, 1);
  const list = JSON.parse((await d.mdatp(['threat', 'list', '--output', 'json'])).stdout) as ThreatJson[];
  const bigThreat = list.find((x) => x.path === path.join(tree, 'big.bin'));
  t.equal(bigThreat?.status, 'quarantine_failed');
  const history = (await d.api('GET', `/v1/threats/${bigThreat?.id}`)).json.threat.history as { status: string; detail: string | null }[];
  t.match(history.at(-1)?.detail, /ENOSPC/, 'the record says why');
  t.same(fs.readFileSync(path.join(tree, 'big.bin')), big, 'the file stays at its path, unchanged');
  let h = await health(d);
  t.equal(h.healthy, 'false', 'health says it');
  t.ok(h.issues.some((i) => i.includes(d.stateDir) && /quarantine/.test(i) && /ENOSPC/.test(i)), `an issue naming the state dir and the quarantine: ${JSON.stringify(h.issues)}`);
  t.ok(d.logs.some((r) => r.component === 'storage' && r.level === 50 && (r.err as { code?: string } | undefined)?.code === 'ENOSPC'), 'logged with the error itself');
  const again = await d.mdatp(['threat', 'quarantine', 'add', '--id', bigThreat?.id ?? 'none']);
  t.equal(again.code, 1, 'quarantining by hand is refused too');
  t.match(again.stderr, /no room for the copy in .*quarantine \(ENOSPC/);
  const api = await d.api('POST', '/v1/quarantine', { id: bigThreat?.id });
  t.match(api, { status: 507, json: { code: 'WDAV_ERR_STATE_FULL' } }, 'with its own code');
  t.same(fs.readFileSync(path.join(tree, 'big.bin')), big, 'still in place');

  // Completely full: now the database cannot commit either.
  fillUp(filler);
  fs.writeFileSync(path.join(tree, 'small.com'), eicar());
  const second = await scanJson(d, ['custom', '--path', tree]);
  t.equal(second.code, 0, `the scan still goes on: ${second.stderr}`);
  t.equal(second.doc.threatsDetected, 2);
  t.same(fs.readFileSync(path.join(tree, 'small.com')), eicar(), 'the new detection stays at its path');
  t.same(fs.readFileSync(path.join(tree, 'big.bin')), big, 'so does the first');
  h = await health(d);
  t.equal(h.healthy, 'false');
  t.ok(h.issues.some((i) => i.includes(d.stateDir)), `still named: ${JSON.stringify(h.issues)}`);

  // Space returns: the next detection is quarantined and the issue clears.
  fs.rmSync(filler);
  const third = await scanJson(d, ['custom', '--path', tree]);
  t.equal(third.code, 0, third.stderr);
  t.notOk(fs.existsSync(path.join(tree, 'big.bin')), 'quarantined now');
  t.notOk(fs.existsSync(path.join(tree, 'small.com')), 'both');
  const after = JSON.parse((await d.mdatp(['threat', 'list', '--output', 'json'])).stdout) as ThreatJson[];
  t.ok(after.filter((x) => x.status === 'quarantined').length >= 2, `quarantined records: ${JSON.stringify(after.map((x) => x.status))}`);
  t.same(await health(d), { healthy: 'true', issues: [] }, 'healthy again');
});

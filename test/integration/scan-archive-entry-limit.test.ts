// A threat found before an archive limit is exceeded is the verdict: `mdatp scan custom` reports
// EICAR with its member path for a zip that holds EICAR and then 10,001 more entries (more than
// maxFiles), not only `Heuristics.Limits.Exceeded.MaxFiles`. A zip whose EICAR comes after the
// limit is reported as the archive bomb it is (the walk stops at the limit, as ClamAV's does).
// Both count in `mdatp health --details features` (archives.limits_exceeded).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { makeZip } from '../helpers/archive-fixtures.js';
import { eicar, scanJson, writeTree } from '../helpers/scan-daemon.js';

const filler = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f/${i}.txt`, data: Buffer.from(`${i}\n`), method: 0 }));

t.test('EICAR before 10,001 entries is reported as EICAR', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-maxf-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await TestDaemon.start(t, { dir, rtpBackend: 'none' });
  const tree = path.join(dir, 'tree');
  writeTree(tree, {
    'first.zip': makeZip([{ name: 'evil.com', data: eicar() }, ...filler(10_001)]),
    'last.zip': makeZip([...filler(10_001), { name: 'evil.com', data: eicar() }]),
  });

  const r = await scanJson(d, ['custom', '--path', tree]);
  t.equal(r.code, 0, r.stderr);
  const found = Object.fromEntries(r.doc.threats.map((x) => [path.relative(tree, x.path), `${x.name} (${x.threatType}) @ ${x.memberPath ?? ''}`]));
  t.equal(found['first.zip'], 'Virus:DOS/EICAR_Test_File (virus) @ evil.com', 'the threat before the limit is the verdict');
  t.match(found['last.zip'], /^Heuristics\.Limits\.Exceeded\.MaxFiles \(archive_bomb\)/u, 'a threat past the limit: the limit');

  // The limit first.zip exceeds is counted all the same, as is last.zip's.
  const health = await d.mdatp(['health', '--details', 'features', '--output', 'json']);
  t.equal((JSON.parse(health.stdout) as { archives?: { limits_exceeded?: number } }).archives?.limits_exceeded, 2, 'both limits counted');
});

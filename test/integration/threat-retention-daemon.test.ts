import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';
import { seedThreats, makeFile, detection } from '../helpers/threats.js';

// The daemon applies retention at startup and again as soon as the retention settings change.

t.test('the daemon prunes threat history and quarantined files under the retention settings', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-threat-retention-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = path.join(dir, 'files');
  const evs = [1, 2, 3, 4].map((i) => detection(makeFile(files, `r${i}.bin`).path));
  const ids: string[] = [];
  for (const ev of evs) ids.push(...(await seedThreats(path.join(dir, 'state'), [ev])));
  const qdir = path.join(dir, 'state', 'quarantine');
  t.equal(fs.readdirSync(qdir).length, 4);

  const d = await InProcDaemon.start(t, { dir, managed: { antivirusEngine: { scanHistoryMaximumItems: 3 } } });
  const list = async () => (await d.api('GET', '/v1/threats')).json.threats.map((x: { id: string }) => x.id).sort();
  await d.waitForLog((r) => r.event === 'threats_pruned');
  t.same(await list(), ids.slice(1).sort(), 'startup pass kept the newest 3');
  t.equal(fs.readdirSync(qdir).length, 3, 'the oldest quarantined file is deleted');

  d.writeManaged({ antivirusEngine: { scanHistoryMaximumItems: 1 } });
  await d.waitForLog((r) => r.event === 'threats_pruned' && r.pruned === 2);
  t.same(await list(), [ids[3]], 'a settings change prunes at once');
  t.same(fs.readdirSync(qdir), [`${ids[3]}.q`]);
  t.equal(d.logs.filter((r) => r.event === 'threat_removed' && r.reason === 'retention').length, 3, 'each deleted file is a removal event');
});

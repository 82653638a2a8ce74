import t from 'tap';
import fs from 'node:fs';
import { openThreatEnv, makeFile, detection, events } from '../helpers/threats.js';

const DAY = 86_400_000;

t.test('retention prunes old and excess records and deletes their quarantined files', async (t) => {
  const e = await openThreatEnv(t);
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const f = makeFile(e.files, `r${i}`);
    if (i % 2 === 1) e.setManaged({ antivirusEngine: { enforcementLevel: 'passive' } });
    ids.push((await e.svc.handle(detection(f.path))).threatId!);
    e.setManaged({});
  }
  // r0 (quarantined) and r1 (reported) were last seen 100 days ago; the rest are ordered by age.
  const age = [100, 100, 5, 4, 3, 2];
  ids.forEach((id, i) => e.db.prepare('UPDATE threats SET last_seen_at = ? WHERE id = ?').run(Date.now() - age[i]! * DAY, id));
  const seen: unknown[] = [];
  e.svc.retention.addHook('scans', (limits) => {
    seen.push(limits);
    return 7;
  });
  e.svc.retention.addHook('broken', () => {
    throw new Error('hook failure');
  });

  e.setManaged({ antivirusEngine: { scanResultsRetentionDays: 30 } });
  const first = await e.svc.retention.prune();
  t.equal(first.threats, 2, 'two records past 30 days');
  t.equal(first.quarantineFiles, 1, 'one of them had a quarantined file');
  t.same(e.svc.list().map((v) => v.id).sort(), ids.slice(2).sort());
  t.notOk(fs.existsSync(`${e.svc.quarantineDir}/${ids[0]}.q`), 'its file is deleted');
  t.match(events(e.logs, 'threat_removed').at(-1), { threatId: ids[0], reason: 'retention', result: 'success' });
  t.match(first.hooks, { scans: 7, broken: /failed: hook failure/ }, 'every hook ran; a failing one is reported, not fatal');
  t.match(seen[0], { maxItems: 10000 });
  t.ok(Math.abs((seen[0] as { cutoff: number }).cutoff - (Date.now() - 30 * DAY)) < 60_000, 'cutoff from scanResultsRetentionDays');
  t.match(events(e.logs, 'threats_pruned').at(-1), { pruned: 2, quarantineFiles: 1 });

  e.setManaged({ antivirusEngine: { scanResultsRetentionDays: 30, scanHistoryMaximumItems: 2 } });
  const second = await e.svc.retention.prune();
  t.equal(second.threats, 2, 'beyond the newest 2');
  t.same(e.svc.list().map((v) => v.id).sort(), ids.slice(4).sort(), 'the newest two remain');
  t.same(fs.readdirSync(e.svc.quarantineDir).sort(), e.svc.quarantined().map((q) => `${q.id}.q`).sort(), 'no quarantine file without a record');
  t.equal((await e.svc.retention.prune()).threats, 0, 'nothing more to prune');
});

import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, makeFile, detection } from '../helpers/threats.js';

// Operations on one threat are serialized: of many concurrent restores or removals exactly
// one succeeds and the others see its result.

t.test('concurrent restores, removals and detections of one threat', async (t) => {
  const e = await openThreatEnv(t);
  const dests = Array.from({ length: 8 }, (_, i) => {
    const d = path.join(e.dir, `d${i}`);
    fs.mkdirSync(d);
    return d;
  });

  const f = makeFile(e.files, 'race-restore.bin');
  const { threatId } = await e.svc.handle(detection(f.path));
  const restores = await Promise.allSettled(dests.map((d) => e.svc.restore(threatId!, d, 0)));
  const ok = restores.filter((r) => r.status === 'fulfilled');
  t.equal(ok.length, 1, 'exactly one restore succeeds');
  t.same(new Set(restores.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)), new Set(['WDAV_ERR_NOT_QUARANTINED']));
  t.equal(dests.flatMap((d) => fs.readdirSync(d)).length, 1, 'one restored file in all destinations');

  const g = makeFile(e.files, 'race-remove.bin');
  const second = await e.svc.handle(detection(g.path));
  const mixed = await Promise.allSettled([
    e.svc.quarantineRemove(second.threatId!, 0),
    e.svc.restore(second.threatId!, dests[0]!, 0),
    e.svc.quarantineRemove(second.threatId!, 0),
    e.svc.quarantineRemoveAll(0),
  ]);
  t.equal(mixed[0]!.status, 'fulfilled', 'the first removal wins');
  t.match(mixed.slice(1, 3), [{ status: 'rejected', reason: { code: 'WDAV_ERR_NOT_QUARANTINED' } }, { status: 'rejected', reason: { code: 'WDAV_ERR_NOT_QUARANTINED' } }]);
  t.match(mixed[3], { status: 'fulfilled', value: { removed: [], failed: [] } }, 'remove-all finds nothing left and reports no failure');
  t.same(e.svc.get(second.threatId!).history!.map((h) => h.status), ['detected', 'quarantined', 'removed'], 'removed once');
  t.same(fs.readdirSync(e.svc.quarantineDir), []);

  // Real-time protection and a scan report the same file at the same moment.
  const h = makeFile(e.files, 'race-detect.bin');
  const both = await Promise.all([e.svc.handle(detection(h.path, { source: 'real_time', blocked: true })), e.svc.handle(detection(h.path)), e.svc.handle(detection(h.path))]);
  t.equal(new Set(both.map((b) => b.threatId)).size, 1, 'one record');
  t.same(both.map((b) => b.action), ['quarantined', 'quarantined', 'quarantined']);
  t.equal(e.svc.quarantined().length, 1, 'quarantined once');
  t.equal(e.svc.get(both[0]!.threatId!).history!.filter((x) => x.status === 'quarantined').length, 1);
});

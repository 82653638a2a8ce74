import t from 'tap';
import fs from 'node:fs';
import { openThreatEnv, makeFile, detection, events, sha256 } from '../helpers/threats.js';

t.test('a detection becomes a threat record with every field, its history and one WARNING event', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'dl/archive.tar');
  const out = await e.svc.handle(
    detection(f.path, {
      name: 'Trojan:Linux/Test',
      threatType: 'trojan',
      memberPath: 'inner.tar.gz->evil.bin',
      source: 'real_time',
      blocked: true,
      engine: 'body',
      process: { pid: 4242, name: 'cat', executable: '/usr/bin/cat', uid: 1000 },
    }),
  );
  t.equal(out.action, 'quarantined');
  const v = e.svc.get(out.threatId!);
  t.match(v, {
    id: out.threatId,
    name: 'Trojan:Linux/Test',
    type: 'trojan',
    status: 'quarantined',
    path: f.path,
    member_path: 'inner.tar.gz->evil.bin',
    sha256: sha256(f.data),
    size: f.data.length,
    source: 'real_time',
    engine: 'body',
    process: { pid: 4242, name: 'cat', executable: '/usr/bin/cat', uid: 1000 },
    occurrences: 1,
  });
  t.match(v.detection_time, /^\d{4}-\d\d-\d\dT/);
  t.same(v.history!.map((h) => h.status), ['detected', 'blocked', 'quarantined'], 'status history');
  t.notOk(fs.existsSync(f.path), 'the whole archive was quarantined');

  const det = events(e.logs, 'threat_detected');
  t.equal(det.length, 1, 'one detection record');
  t.equal(det[0]!.level, 40, 'detections are WARNING (journald priority 4)');
  t.match(det[0], { threatId: out.threatId, threatName: 'Trojan:Linux/Test', path: f.path, sha256: sha256(f.data), process: { pid: 4242 }, user: 1000, action: 'quarantine', result: 'success' });
  const q = events(e.logs, 'threat_quarantined');
  t.equal(q.length, 1, 'one action record');
  t.match(q[0], { threatId: out.threatId, action: 'quarantine', result: 'success', level: 40 });
  for (const k of ['event', 'threatId', 'threatName', 'threatType', 'path', 'memberPath', 'sha256', 'source', 'process', 'user', 'action', 'result', 'reason']) {
    t.ok(k in det[0]! && k in q[0]!, `stable field ${k} present in every record`);
  }
});

t.test('repeated detections of one file are one record with a count; a given sha256 is kept', async (t) => {
  const e = await openThreatEnv(t);
  await e.config.setLocal('enforcementLevel', 'passive');
  const f = makeFile(e.files, 'seen-twice');
  const given = 'A'.repeat(64);
  const a = await e.svc.handle(detection(f.path, { sha256: given }));
  const b = await e.svc.handle(detection(f.path, { sha256: given, blocked: true }));
  t.equal(a.action, 'reported');
  t.equal(b.threatId, a.threatId, 'same record');
  const v = e.svc.get(a.threatId!);
  t.equal(v.occurrences, 2);
  t.equal(v.sha256, given.toLowerCase());
  t.same(v.history!.map((h) => h.status), ['detected', 'blocked']);
  t.equal(events(e.logs, 'threat_detected').length, 2, 'every detection is logged');
  t.equal(e.svc.list().length, 1);
});

t.test('a file gone before the record is made is still recorded, without a hash', async (t) => {
  const e = await openThreatEnv(t);
  const out = await e.svc.handle(detection(`${e.files}/vanished`));
  t.equal(out.action, 'quarantine_failed');
  const v = e.svc.get(out.threatId!);
  t.equal(v.sha256, null);
  t.match(v.history!.at(-1), { status: 'quarantine_failed', detail: /hash is unknown/ });
  t.match(events(e.logs, 'threat_quarantine_failed')[0], { level: 50, result: 'failure', reason: /hash is unknown/ });
});

t.test('malformed detection events are refused with a coded error', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'x');
  for (const [over, what] of [
    [{ path: 'relative/path' }, /path must be absolute/],
    [{ threatType: 'worm' }, /threat type/],
    [{ name: '' }, /name/],
    [{ sha256: 'xyz' }, /sha256/],
    [{ source: 'elsewhere' }, /source/],
    [{ fd: -1 }, /fd/],
  ] as const) {
    await t.rejects(e.svc.handle(detection(f.path, over as never)), { code: 'WDAV_ERR_INVALID_ARGUMENT', message: what });
  }
  t.equal(e.svc.list().length, 0, 'nothing recorded');
  t.ok(fs.existsSync(f.path));
});

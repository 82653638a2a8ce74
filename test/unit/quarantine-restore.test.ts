import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, makeFile, detection, sha256, events } from '../helpers/threats.js';

const isRoot = process.getuid?.() === 0;

t.test('restore brings back content, mode, owner and times, atomically, and allows the hash', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'proj/run.sh', '#!/bin/sh\necho restored\n', 0o750);
  if (isRoot) fs.chownSync(f.path, 1234, 2345);
  const mtime = new Date('2024-02-03T04:05:06.789Z');
  fs.utimesSync(f.path, mtime, mtime);
  const out = await e.svc.handle(detection(f.path));
  t.equal(out.action, 'quarantined');
  t.notOk(e.svc.isAllowed('Virus:DOS/EICAR_Test_File', sha256(f.data)));

  const dest = path.join(e.dir, 'restored');
  fs.mkdirSync(dest);
  const r = await e.svc.restore(out.threatId!, dest, 0);
  t.equal(r.destination, path.join(dest, 'run.sh'), 'restored under the original name');
  t.ok(fs.readFileSync(r.destination).equals(f.data), 'byte-identical');
  const st = fs.statSync(r.destination);
  t.equal(st.mode & 0o7777, 0o750, 'mode');
  if (isRoot) t.same([st.uid, st.gid], [1234, 2345], 'owner');
  t.equal(st.mtime.getTime(), mtime.getTime(), 'modification time');
  t.same(fs.readdirSync(dest), ['run.sh'], 'no temp file left');
  t.same(fs.readdirSync(e.svc.quarantineDir), [], 'quarantine copy gone');
  t.equal(r.threat.status, 'restored');
  t.match(r.threat.history!.at(-1), { status: 'restored', detail: r.destination, uid: 0 });
  t.ok(e.svc.isAllowedHash(sha256(f.data)), 'hash on the local allow list');
  t.match(e.svc.admin.allowedList().hashes, [{ sha256: sha256(f.data), detail: `restored threat ${out.threatId}` }]);
  t.match(events(e.logs, 'threat_restored')[0], { result: 'success', threatId: out.threatId, user: 0, destination: r.destination });

  // The scanners see it as allowed from now on: detected again, it is not taken again.
  const again = await e.svc.handle(detection(r.destination));
  t.equal(again.action, 'allowed', 're-detection of the restored file is allowed');
  t.ok(fs.existsSync(r.destination));
});

t.test('restore to the original directory by default, and by original path (threat-path)', async (t) => {
  const e = await openThreatEnv(t);
  const a = makeFile(e.files, 'docs/a.pdf');
  const b = makeFile(e.files, 'docs/b.pdf');
  const ta = await e.svc.handle(detection(a.path));
  const tb = await e.svc.handle(detection(b.path));
  const r1 = await e.svc.restore(ta.threatId!, undefined, 0);
  t.equal(r1.destination, a.path);
  t.ok(fs.readFileSync(a.path).equals(a.data));
  const elsewhere = path.join(e.dir, 'elsewhere');
  fs.mkdirSync(elsewhere);
  const r2 = await e.svc.restoreByPath(b.path, elsewhere, 0);
  t.equal(r2.threat.id, tb.threatId);
  t.equal(r2.destination, path.join(elsewhere, 'b.pdf'));
  await t.rejects(e.svc.restoreByPath(b.path, elsewhere, 0), { code: 'WDAV_ERR_THREAT_NOT_FOUND', message: /No quarantined file was at/ });
});

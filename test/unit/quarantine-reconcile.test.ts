import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, makeFile, detection, sha256, type ThreatEnv } from '../helpers/threats.js';
import { KEY_FILE, writeQuarantineFile } from '../../src/threats/qfile.js';

// Each state a crash can leave, built exactly (the crash test reaches them at random), then
// startup reconciliation: completed or undone, never lost, never duplicated.

/** The state right after the 'stored' commit: a verified copy and its row, the original untouched. */
async function storedOnly(e: ThreatEnv, name: string): Promise<{ id: string; path: string; data: Buffer }> {
  const f = makeFile(e.files, name);
  e.setManaged({ antivirusEngine: { enforcementLevel: 'passive' } });
  const { threatId } = await e.svc.handle(detection(f.path));
  e.setManaged({});
  const id = threatId!;
  const t = e.svc.threats.get(id)!;
  const st = fs.statSync(f.path, { bigint: true });
  const key = fs.readFileSync(path.join(e.stateDir, KEY_FILE));
  const src = fs.openSync(f.path, 'r');
  const out = await fs.promises.open(path.join(e.svc.quarantineDir, `${id}.q`), 'wx', 0o600);
  const fields = {
    threatId: id, name: t.name, threatType: t.threat_type, path: t.path, rawPath: null, memberPath: null, source: t.source, engine: t.engine,
    detectedAt: t.detected_at, quarantinedAt: Date.now(), sha256: t.sha256!, size: f.data.length, mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid), gid: Number(st.gid), atimeNs: st.atimeNs.toString(), mtimeNs: st.mtimeNs.toString(), dev: st.dev.toString(), ino: st.ino.toString(),
  };
  await writeQuarantineFile(out, key, fields, src);
  await out.sync();
  await out.close();
  fs.closeSync(src);
  e.svc.rows.insert({
    threat_id: id, file: `${id}.q`, state: 'stored', original_path: f.path, raw_path: null, mode: fields.mode, uid: fields.uid, gid: fields.gid,
    atime_ns: fields.atimeNs, mtime_ns: fields.mtimeNs, dev: fields.dev, ino: fields.ino, size: fields.size, sha256: fields.sha256, quarantined_at: fields.quarantinedAt,
  });
  return { id, path: f.path, data: f.data };
}

async function quarantined(e: ThreatEnv, name: string): Promise<{ id: string; path: string; data: Buffer }> {
  const f = makeFile(e.files, name);
  const { threatId, action } = await e.svc.handle(detection(f.path));
  if (action !== 'quarantined') throw new Error(action);
  return { id: threatId!, path: f.path, data: f.data };
}

t.test('startup reconciliation of every interrupted state', async (t) => {
  const e = await openThreatEnv(t);
  const dest = path.join(e.dir, 'dest');
  fs.mkdirSync(dest);
  const db = e.db;

  // Copy written but never published.
  const tmpOrig = makeFile(e.files, 'tmp-orig');
  fs.writeFileSync(path.join(e.svc.quarantineDir, 'deadbeef.tmp'), 'half a copy');
  // Published copy whose 'stored' row never committed: the original is still there.
  const orphan = await quarantined(e, 'orphan-in-place');
  db.prepare('DELETE FROM quarantine WHERE threat_id = ?').run(orphan.id);
  db.prepare("UPDATE threats SET status = 'detected' WHERE id = ?").run(orphan.id);
  fs.writeFileSync(orphan.path, orphan.data);
  // The database lost both rows (power loss with synchronous=NORMAL) after the original went.
  const lost = await quarantined(e, 'db-lost');
  db.prepare('DELETE FROM threats WHERE id = ?').run(lost.id);
  // 'stored' and then: nothing else happened / the original was removed / it changed / the copy vanished.
  const s1 = await storedOnly(e, 'stored-intact');
  const s2 = await storedOnly(e, 'stored-removed');
  fs.unlinkSync(s2.path);
  const s3 = await storedOnly(e, 'stored-changed');
  fs.appendFileSync(s3.path, 'user edit');
  const s4 = await storedOnly(e, 'stored-no-copy');
  fs.unlinkSync(path.join(e.svc.quarantineDir, `${s4.id}.q`));
  // 'restoring' with the destination published / only a partial temp file.
  const r1 = await quarantined(e, 'restoring-done');
  e.svc.rows.setState(r1.id, 'restoring', { dest, temp: '.wdav-restore-aaaa.tmp' });
  e.svc.allow.add('sha256', sha256(r1.data), `restored threat ${r1.id}`);
  fs.writeFileSync(path.join(dest, 'restoring-done'), r1.data);
  fs.writeFileSync(path.join(dest, '.wdav-restore-aaaa.tmp'), r1.data);
  const r2 = await quarantined(e, 'restoring-partial');
  e.svc.rows.setState(r2.id, 'restoring', { dest, temp: '.wdav-restore-bbbb.tmp' });
  e.svc.allow.add('sha256', sha256(r2.data), `restored threat ${r2.id}`);
  fs.writeFileSync(path.join(dest, '.wdav-restore-bbbb.tmp'), r2.data.subarray(0, 5));
  // 'removing'.
  const m = await quarantined(e, 'removing');
  e.svc.rows.setState(m.id, 'removing');
  // A quarantined row whose file someone deleted.
  const gone = await quarantined(e, 'file-deleted');
  fs.unlinkSync(path.join(e.svc.quarantineDir, `${gone.id}.q`));
  await e.close();

  const r = await openThreatEnv(t, { stateDir: e.stateDir });
  const outcome = (id: string) => r.svc.reconcileReport.actions.filter((a) => a.threatId === id).map((a) => a.outcome);
  const status = (id: string) => r.svc.threats.get(id)?.status;
  const inQuarantine = (id: string) => fs.existsSync(path.join(r.svc.quarantineDir, `${id}.q`)) && r.svc.rows.get(id)?.state === 'quarantined';

  t.notOk(fs.existsSync(path.join(r.svc.quarantineDir, 'deadbeef.tmp')), 'unpublished copy deleted');
  t.ok(fs.readFileSync(tmpOrig.path).equals(tmpOrig.data), '... its original untouched');

  t.same(outcome(orphan.id), ['orphan deleted (original still in place)']);
  t.ok(fs.readFileSync(orphan.path).equals(orphan.data) && !inQuarantine(orphan.id), 'orphan: only the original remains');

  t.same(outcome(lost.id), ['orphan adopted']);
  t.ok(inQuarantine(lost.id) && status(lost.id) === 'quarantined', 'lost record rebuilt from the header');
  t.equal(r.svc.get(lost.id).path, lost.path);

  t.same(outcome(s1.id), ['stored→quarantined']);
  t.ok(!fs.existsSync(s1.path) && inQuarantine(s1.id) && status(s1.id) === 'quarantined', 'stored + original intact: completed');
  t.same(outcome(s2.id), ['stored→quarantined']);
  t.ok(inQuarantine(s2.id), 'stored + original gone: completed');
  t.same(outcome(s3.id), ['stored→quarantine_failed']);
  t.ok(fs.existsSync(s3.path) && !inQuarantine(s3.id) && status(s3.id) === 'quarantine_failed', 'stored + original changed: undone, edit kept');
  t.same(outcome(s4.id), ['stored→quarantine_failed']);
  t.ok(fs.readFileSync(s4.path).equals(s4.data) && status(s4.id) === 'quarantine_failed', 'stored + copy missing: undone');

  t.same(outcome(r1.id), ['restoring→restored']);
  t.ok(fs.readFileSync(path.join(dest, 'restoring-done')).equals(r1.data) && !inQuarantine(r1.id) && status(r1.id) === 'restored', 'published restore completed');
  t.ok(r.svc.isAllowedHash(sha256(r1.data)), '... hash stays allowed');
  t.same(outcome(r2.id), ['restoring→quarantined']);
  t.ok(inQuarantine(r2.id) && status(r2.id) === 'quarantined', 'partial restore undone');
  t.notOk(r.svc.isAllowedHash(sha256(r2.data)), '... and its hash no longer allowed');
  t.same(fs.readdirSync(dest), ['restoring-done'], 'no temp files left in the destination');

  t.same(outcome(m.id), ['removing→removed']);
  t.equal(status(m.id), 'removed');
  t.notOk(fs.existsSync(path.join(r.svc.quarantineDir, `${m.id}.q`)));

  t.match(r.svc.healthIssues(), [new RegExp(`quarantined file of threat ${gone.id} .* is missing`)], 'a missing file is a health issue, never invented');
  t.ok(r.logs.some((l) => l.event === 'quarantine_reconciled'), 'each reconciliation is an event');
  const files = fs.readdirSync(r.svc.quarantineDir).sort();
  t.same(files, (r.db.prepare('SELECT file FROM quarantine WHERE threat_id != ?').all(gone.id) as { file: string }[]).map((x) => x.file).sort(), 'every file has its row');
});

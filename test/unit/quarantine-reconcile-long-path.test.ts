// The attack: a crash (or a lost commit) in the middle of quarantining a file whose path is
// beyond PATH_MAX. Startup reconciliation must look at the original through its directory,
// not by its whole path: one ENAMETOOLONG there would make the whole quarantine unavailable
// at every start (a health issue, no detection quarantined any more) and leave the
// interrupted items unresolved. Each state is built exactly, then the service reopens.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, detection, sha256, type ThreatEnv } from '../helpers/threats.js';
import { inDeepDir, makeDeepDir, readDeep, writeDeep } from '../helpers/deep-path.js';
import { scratchMount } from '../helpers/scratch-fs.js';
import { KEY_FILE, writeQuarantineFile } from '../../src/threats/qfile.js';

/** A detected deep file with its verified quarantine copy written; `row` says whether the 'stored' row committed. */
async function copied(e: ThreatEnv, file: string, data: Buffer, row: boolean): Promise<string> {
  writeDeep(file, data);
  e.setManaged({ antivirusEngine: { enforcementLevel: 'passive' } });
  const { threatId } = await e.svc.handle(detection(file, { sha256: sha256(data), size: data.length }));
  e.setManaged({});
  const id = threatId!;
  const t = e.svc.threats.get(id)!;
  const key = fs.readFileSync(path.join(e.stateDir, KEY_FILE));
  const base = file.slice(file.lastIndexOf('/') + 1);
  const { st, src } = inDeepDir(file.slice(0, file.lastIndexOf('/')), (at) => ({ st: fs.statSync(`${at}/${base}`, { bigint: true }), src: fs.openSync(`${at}/${base}`, 'r') }));
  const fields = {
    threatId: id, name: t.name, threatType: t.threat_type, path: t.path, rawPath: null, memberPath: null, source: t.source, engine: t.engine,
    detectedAt: t.detected_at, quarantinedAt: Date.now(), sha256: t.sha256!, size: data.length, mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid), gid: Number(st.gid), atimeNs: st.atimeNs.toString(), mtimeNs: st.mtimeNs.toString(), dev: st.dev.toString(), ino: st.ino.toString(),
  };
  const out = await fs.promises.open(path.join(e.svc.quarantineDir, `${id}.q`), 'wx', 0o600);
  await writeQuarantineFile(out, key, fields, src);
  await out.sync();
  await out.close();
  fs.closeSync(src);
  if (row) {
    e.svc.rows.insert({
      threat_id: id, file: `${id}.q`, state: 'stored', original_path: file, raw_path: null, mode: fields.mode, uid: fields.uid, gid: fields.gid,
      atime_ns: fields.atimeNs, mtime_ns: fields.mtimeNs, dev: fields.dev, ino: fields.ino, size: fields.size, sha256: fields.sha256, quarantined_at: fields.quarantinedAt,
    });
  }
  return id;
}

t.test('reconciliation of interrupted quarantines at a 12 KB path', async (t) => {
  const deep = makeDeepDir(path.join(scratchMount(t), 'tree'), 50);
  t.ok(Buffer.byteLength(deep) > 12_000);
  const e = await openThreatEnv(t);
  const data = (n: string) => Buffer.from(`deep payload ${n} ${Math.random()}\n`);

  // 'stored' committed, then the crash: the original is still there.
  const storedFile = `${deep}/stored.bin`;
  const storedData = data('stored');
  const stored = await copied(e, storedFile, storedData, true);
  // Copy published, row never committed, original untouched: the quarantine never happened.
  const inPlaceFile = `${deep}/in-place.bin`;
  const inPlaceData = data('in-place');
  const inPlace = await copied(e, inPlaceFile, inPlaceData, false);
  // Copy published and the original removed, but the database lost the commit (power loss).
  const lostFile = `${deep}/lost.bin`;
  const lost = await copied(e, lostFile, data('lost'), false);
  inDeepDir(deep, (at) => fs.unlinkSync(`${at}/lost.bin`));
  e.db.prepare('DELETE FROM threats WHERE id = ?').run(lost);

  await e.close();
  const { svc } = await openThreatEnv(t, { stateDir: e.stateDir });
  t.same(svc.healthIssues(), [], 'quarantine usable, nothing unresolved');
  t.equal(svc.quarantineError, null);

  t.equal(svc.threats.get(stored)?.status, 'quarantined', 'stored → completed');
  t.equal(readDeep(storedFile), null, 'its original removed through its directory');
  t.equal(svc.threats.get(inPlace)?.status, 'detected', 'never quarantined');
  t.same(readDeep(inPlaceFile), inPlaceData, 'the original stays');
  t.notOk(fs.existsSync(path.join(svc.quarantineDir, `${inPlace}.q`)), 'the unneeded copy deleted');
  t.equal(svc.threats.get(lost)?.status, 'quarantined', 'the lost record rebuilt from the header');
  t.equal(svc.threats.get(lost)?.path, lostFile, 'with its exact path');

  const back = await svc.restore(stored, undefined, null);
  t.equal(back.destination, storedFile);
  t.same(readDeep(storedFile), storedData, 'restored to its original place');
});

import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, makeFile, detection, sha256 } from '../helpers/threats.js';
import { KEY_FILE, readHeader, readQuarantineFile } from '../../src/threats/qfile.js';
import { eicarBytes } from '../../src/definitions/eicar.js';

t.test('quarantined files are private, neutralised, self-describing and verified', async (t) => {
  const e = await openThreatEnv(t);
  // Executable, with a recognisable marker that must not survive in the stored bytes.
  // EICAR is assembled at run time, never committed as one string.
  const marker = eicarBytes().toString('latin1');
  const f = makeFile(e.files, 'bin/tool', `#!/bin/sh\n# ${marker}\n${'A'.repeat(100_000)}\n`, 0o755);
  const out = await e.svc.handle(detection(f.path));
  t.equal(out.action, 'quarantined');

  t.equal(fs.statSync(e.svc.quarantineDir).mode & 0o777, 0o700, 'quarantine directory is 0700');
  const key = path.join(e.stateDir, KEY_FILE);
  t.equal(fs.statSync(key).mode & 0o777, 0o600, 'key is 0600');
  t.equal(fs.statSync(key).size, 32, 'key is 32 bytes');
  const names = fs.readdirSync(e.svc.quarantineDir);
  t.same(names, [`${out.threatId}.q`], 'one file per item, named by threat id');
  const qf = path.join(e.svc.quarantineDir, names[0]!);
  const st = fs.statSync(qf);
  t.equal(st.mode & 0o777, 0o600, 'quarantine file is 0600, not executable');
  t.equal(st.uid, process.getuid!(), 'owned by the daemon user');
  const raw = fs.readFileSync(qf);
  t.equal(raw.indexOf(Buffer.from(marker)), -1, 'the original bytes are not stored in clear');
  t.equal(raw.indexOf(Buffer.from('A'.repeat(64))), -1, 'no long plaintext run survives');

  const h = await fs.promises.open(qf, 'r');
  const { header } = await readHeader(h);
  await h.close();
  t.match(header, { v: 2, cipher: 'aes-256-ctr', mac: 'hmac-sha256', threatId: out.threatId, path: f.path, sha256: sha256(f.data), size: f.data.length, mode: 0o755 });

  const chunks: Buffer[] = [];
  await readQuarantineFile(qf, fs.readFileSync(key), async (c) => void chunks.push(c));
  t.ok(Buffer.concat(chunks).equals(f.data), 'decrypts to the original bytes');

  // Any change is detected by the tag (damage and forgery alike), and restore refuses to write.
  const fd = fs.openSync(qf, 'r+');
  fs.writeSync(fd, Buffer.from([raw[raw.length - 40]! ^ 0xff]), 0, 1, raw.length - 40);
  fs.closeSync(fd);
  await t.rejects(readQuarantineFile(qf, fs.readFileSync(key)), { code: 'WDAV_ERR_QUARANTINE_UNAUTHENTIC' });
  const dest = path.join(e.dir, 'out');
  fs.mkdirSync(dest);
  await t.rejects(e.svc.restore(out.threatId!, dest, 0), { code: 'WDAV_ERR_QUARANTINE_UNAUTHENTIC' });
  fs.truncateSync(qf, 12);
  await t.rejects(readQuarantineFile(qf, fs.readFileSync(key)), { code: 'WDAV_ERR_QUARANTINE_DAMAGED' }, 'a truncated file is damaged');
  t.same(fs.readdirSync(dest), [], 'nothing written to the destination');
  t.equal(e.svc.get(out.threatId!).status, 'quarantined', 'still quarantined');
  t.equal(e.svc.isAllowedHash(sha256(f.data)), false, 'the failed restore did not allow the hash');
});

t.test('the key is created once and reused; a damaged key disables quarantine loudly, not the service', async (t) => {
  const e = await openThreatEnv(t);
  const key = fs.readFileSync(path.join(e.stateDir, KEY_FILE));
  const f = makeFile(e.files, 'one');
  const a = await e.svc.handle(detection(f.path));
  await e.close();
  fs.writeFileSync(path.join(e.stateDir, KEY_FILE), 'short');
  const again = await openThreatEnv(t, { stateDir: e.stateDir });
  t.match(again.svc.healthIssues(), [/quarantine is unavailable: .*damaged/], 'a health issue says why');
  const g = makeFile(again.files, 'two');
  const b = await again.svc.handle(detection(g.path));
  t.equal(b.action, 'quarantine_failed', 'detections are still recorded');
  t.ok(fs.existsSync(g.path), 'the file stays in place');
  await t.rejects(again.svc.restore(a.threatId!, again.files, 0), { code: 'WDAV_ERR_QUARANTINE_FAILED' });
  await again.close();
  fs.writeFileSync(path.join(e.stateDir, KEY_FILE), key);
  const fixed = await openThreatEnv(t, { stateDir: e.stateDir });
  t.same(fixed.svc.healthIssues(), []);
  const r = await fixed.svc.restore(a.threatId!, fixed.files, 0);
  t.ok(fs.readFileSync(r.destination).equals(f.data), 'with the key back, the item restores');
});

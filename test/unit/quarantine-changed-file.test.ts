import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, makeFile, detection, sha256 } from '../helpers/threats.js';

// Quarantine never removes a file it did not copy exactly: whatever changed between the scan,
// the copy and the removal, the file stays at its path and the threat is quarantine_failed.

t.test('real-time: copies through the event fd and leaves its offset alone', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'rt.bin', 'A'.repeat(5000));
  const fd = fs.openSync(f.path, 'r');
  t.teardown(() => fs.closeSync(fd));
  fs.readSync(fd, Buffer.alloc(10), 0, 10, null);
  const out = await e.svc.handle(detection(f.path, { fd, source: 'real_time', blocked: true, sha256: sha256(f.data) }));
  t.equal(out.action, 'quarantined');
  t.notOk(fs.existsSync(f.path));
  const rest = Buffer.alloc(10);
  t.equal(fs.readSync(fd, rest, 0, 10, null), 10, 'the caller keeps its open fd and position');
});

t.test('content changed since the scan: refused, left in place, no copy kept', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'changed.bin');
  const scanned = sha256(Buffer.from('what the scanner saw'));
  const out = await e.svc.handle(detection(f.path, { sha256: scanned }));
  t.equal(out.action, 'quarantine_failed');
  t.ok(fs.readFileSync(f.path).equals(f.data), 'original untouched');
  t.same(fs.readdirSync(e.svc.quarantineDir), [], 'no copy, no temp file');
  t.match(e.svc.get(out.threatId!).history!.at(-1), { status: 'quarantine_failed', detail: /changed since it was scanned/ });
});

t.test('the path names another file than the event fd: refused', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'swapped.bin');
  const fd = fs.openSync(f.path, 'r');
  t.teardown(() => fs.closeSync(fd));
  fs.renameSync(f.path, `${f.path}.moved`);
  fs.writeFileSync(f.path, 'an innocent new file');
  const out = await e.svc.handle(detection(f.path, { fd, sha256: sha256(f.data) }));
  t.equal(out.action, 'quarantine_failed');
  t.equal(fs.readFileSync(f.path, 'utf8'), 'an innocent new file', 'the other file is not touched');
  t.ok(fs.existsSync(`${f.path}.moved`));
  t.match(e.svc.get(out.threatId!).history!.at(-1)!.detail, /another file/);
});

t.test('written to while being quarantined: refused, the new content stays', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'big.bin', Buffer.alloc(64 * 1024 * 1024, 7));
  const pending = e.svc.handle(detection(f.path, { sha256: sha256(f.data) }));
  // The copy of 64 MiB takes far longer than this; the append lands during it.
  await new Promise((r) => setTimeout(r, 5));
  fs.appendFileSync(f.path, 'appended');
  const out = await pending;
  t.equal(out.action, 'quarantine_failed');
  t.equal(fs.statSync(f.path).size, f.data.length + 8, 'the file with its new content is in place');
  t.same(fs.readdirSync(e.svc.quarantineDir), [], 'the copy was discarded');
  t.match(e.svc.get(out.threatId!).history!.at(-1)!.detail, /changed/);
});

t.test('symbolic links, non-regular files and vanished files are never followed or removed', async (t) => {
  const e = await openThreatEnv(t);
  const target = makeFile(e.files, 'target.bin');
  const link = path.join(e.files, 'link.bin');
  fs.symlinkSync(target.path, link);
  const viaLink = await e.svc.handle(detection(link, { sha256: sha256(target.data) }));
  t.equal(viaLink.action, 'quarantine_failed');
  t.ok(fs.lstatSync(link).isSymbolicLink() && fs.existsSync(target.path), 'link and target untouched');
  const dir = path.join(e.files, 'a-dir');
  fs.mkdirSync(dir);
  t.equal((await e.svc.handle(detection(dir, { sha256: 'b'.repeat(64) }))).action, 'quarantine_failed');
  t.ok(fs.statSync(dir).isDirectory());
  t.equal((await e.svc.handle(detection(path.join(e.files, 'nothing'), { sha256: 'c'.repeat(64) }))).action, 'quarantine_failed');
  t.same(fs.readdirSync(e.svc.quarantineDir), []);
});

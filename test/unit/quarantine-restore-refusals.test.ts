import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openThreatEnv, makeFile, detection, sha256, events } from '../helpers/threats.js';

// Each refusal leaves everything as it was: the item stays quarantined, nothing appears in
// the destination, the hash is not allowed, and a coded error says why.

t.test('restore refusals', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'app/payload.bin');
  const { threatId } = await e.svc.handle(detection(f.path));
  const id = threatId!;
  const unchanged = (label: string) => {
    t.equal(e.svc.get(id).status, 'quarantined', `${label}: still quarantined`);
    t.equal(fs.readdirSync(e.svc.quarantineDir).length, 1, `${label}: copy kept`);
    t.notOk(e.svc.isAllowedHash(sha256(f.data)), `${label}: hash not allowed`);
  };

  // An existing file of that name is never overwritten.
  const occupied = path.join(e.dir, 'occupied');
  fs.mkdirSync(occupied);
  fs.writeFileSync(path.join(occupied, 'payload.bin'), 'keep me');
  await t.rejects(e.svc.restore(id, occupied, 0), { code: 'WDAV_ERR_RESTORE_DESTINATION_EXISTS' });
  t.equal(fs.readFileSync(path.join(occupied, 'payload.bin'), 'utf8'), 'keep me');
  t.same(fs.readdirSync(occupied), ['payload.bin'], 'no temp file left');
  unchanged('existing file');
  // ... not even a dangling symlink of that name.
  const dangling = path.join(e.dir, 'dangling');
  fs.mkdirSync(dangling);
  fs.symlinkSync('/nonexistent/target', path.join(dangling, 'payload.bin'));
  await t.rejects(e.svc.restore(id, dangling, 0), { code: 'WDAV_ERR_RESTORE_DESTINATION_EXISTS' });
  t.notOk(fs.existsSync('/nonexistent/target'));
  unchanged('dangling symlink');

  // A symbolic link anywhere in the destination path is refused.
  const real = path.join(e.dir, 'real');
  fs.mkdirSync(path.join(real, 'sub'), { recursive: true });
  fs.symlinkSync(real, path.join(e.dir, 'link-to-real'));
  await t.rejects(e.svc.restore(id, path.join(e.dir, 'link-to-real'), 0), { code: 'WDAV_ERR_RESTORE_DESTINATION_UNSAFE', message: /link-to-real is a symbolic link/ });
  await t.rejects(e.svc.restore(id, path.join(e.dir, 'link-to-real', 'sub'), 0), { code: 'WDAV_ERR_RESTORE_DESTINATION_UNSAFE', message: /link-to-real is a symbolic link/ }, 'intermediate component');
  t.same(fs.readdirSync(path.join(real, 'sub')), []);
  unchanged('symlinked directory');

  // Not a directory, missing, relative.
  await t.rejects(e.svc.restore(id, path.join(occupied, 'payload.bin'), 0), { code: 'WDAV_ERR_RESTORE_DESTINATION_UNSAFE', message: /not a directory/ });
  await t.rejects(e.svc.restore(id, path.join(e.dir, 'missing'), 0), { code: 'WDAV_ERR_INVALID_PATH', message: /does not exist/ });
  await t.rejects(e.svc.restore(id, 'relative/dir', 0), { code: 'WDAV_ERR_INVALID_PATH', message: /absolute/ });
  unchanged('bad destination');

  // The administrator disallowed restore.
  e.setManaged({ antivirusEngine: { disallowedThreatActions: ['restore'] } });
  const ok = path.join(e.dir, 'ok');
  fs.mkdirSync(ok);
  await t.rejects(e.svc.restore(id, ok, 0), { code: 'WDAV_ERR_ACTION_DISALLOWED', message: /disallowed the "restore" action/ });
  await t.rejects(e.svc.restoreByPath(f.path, ok, 0), { code: 'WDAV_ERR_ACTION_DISALLOWED' });
  t.match(events(e.logs, 'threat_action_refused').at(-1), { action: 'restore', result: 'refused', threatId: id, user: 0, level: 40 });
  unchanged('disallowed');
  t.same(fs.readdirSync(ok), []);

  // Allowed again: it works, once.
  e.setManaged({});
  await e.svc.restore(id, ok, 0);
  await t.rejects(e.svc.restore(id, ok, 0), { code: 'WDAV_ERR_NOT_QUARANTINED' });
  await t.rejects(e.svc.restore('no-such-id', ok, 0), { code: 'WDAV_ERR_THREAT_NOT_FOUND', message: /No threat with id "no-such-id"/ });
});

t.test('a threat that was only reported cannot be restored', async (t) => {
  const e = await openThreatEnv(t);
  e.setManaged({ antivirusEngine: { enforcementLevel: 'passive' } });
  const f = makeFile(e.files, 'reported.bin');
  const { threatId } = await e.svc.handle(detection(f.path));
  await t.rejects(e.svc.restore(threatId!, e.dir, 0), { code: 'WDAV_ERR_NOT_QUARANTINED' });
  t.ok(fs.existsSync(f.path));
});

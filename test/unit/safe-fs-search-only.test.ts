// A daemon that does not run as root (docs/service.md) reaches a detected file the way the
// kernel's own path lookup does: through directories it may only search (mode 0711, like many
// home directories), not read. Walking the path component by component must not ask for more
// (an O_RDONLY open of each directory would need read permission): only the file's own
// directory is opened for reading (it is fsynced after an unlink).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lstatAt, openAt, openParent } from '../../src/threats/safe-fs.js';

const isRoot = process.getuid?.() === 0;

t.test('walks through a directory that can be searched but not read', { skip: !isRoot && 'needs root: acts as another uid' }, async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-search-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.chmodSync(root, 0o755);
  const priv = path.join(root, 'home');
  const inner = path.join(priv, 'user', 'dl');
  fs.mkdirSync(inner, { recursive: true, mode: 0o755 });
  fs.chmodSync(priv, 0o711);
  const file = path.join(inner, 'evil.bin');
  fs.writeFileSync(file, 'payload', { mode: 0o644 });
  fs.chownSync(path.join(priv, 'user'), 65534, 65534);
  fs.chownSync(inner, 65534, 65534);

  process.setegid(65534);
  process.seteuid(65534);
  t.teardown(() => {
    process.seteuid(0);
    process.setegid(0);
  });
  t.throws(() => fs.readdirSync(priv), { code: 'EACCES' }, 'the directory cannot be read by this uid');
  t.equal(fs.statSync(file).size, 7, 'but the path resolves');

  const st = await lstatAt(file);
  t.equal(st?.size, 7n, 'lstatAt through it');
  const fd = await openAt(file, fs.constants.O_RDONLY);
  t.equal(fs.readFileSync(fd, 'utf8'), 'payload', 'openAt through it');
  fs.closeSync(fd);
  const { dir, base } = await openParent(file);
  t.equal(base.toString(), 'evil.bin');
  await dir.sync();
  await dir.close();
  t.pass('its own directory is open for reading (fsync works)');
});

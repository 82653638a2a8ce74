// The scanner process holds no privilege: it runs as an unprivileged user with no groups, no
// capabilities (effective, permitted or bounding), no-new-privs and a seccomp filter — and a
// file its user could read is still refused when the scanner tries to open it by path: seccomp,
// not file permissions, says no (the test hook asks the scanner itself to open()).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { procStatus, scannerUser, skipScanner, startScanner } from '../helpers/scanner.js';

t.test('confined scanner', { skip: skipScanner }, async (t) => {
  const { scanner } = await startScanner(t, { testHooks: true });
  const h = scanner.health();
  t.equal(h.state, 'running');
  t.ok(h.pid && h.pid > 0, 'it has a pid');
  const st = procStatus(h.pid!);
  const uid = String(scannerUser.uid);
  t.same(st.Uid!.split(/\s+/), [uid, uid, uid, uid], 'real, effective, saved and fs uid are the scanner user');
  t.not(st.Uid!.split(/\s+/)[0], '0');
  t.equal(st.Groups, '', 'no supplementary groups');
  t.equal(st.CapEff, '0000000000000000');
  t.equal(st.CapPrm, '0000000000000000');
  t.equal(st.CapBnd, '0000000000000000');
  t.equal(st.NoNewPrivs, '1');
  t.equal(st.Seccomp, '2', 'seccomp filter mode');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-scanner-open-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'readable.txt');
  fs.writeFileSync(file, 'anyone may read this\n', { mode: 0o644 });
  const asUser = spawnSync('cat', [file], { uid: scannerUser.uid!, gid: scannerUser.gid!, encoding: 'utf8' });
  t.equal(asUser.stdout, 'anyone may read this\n', 'the scanner user can read the file with cat');
  t.equal(await scanner.testOpen(file), os.constants.errno.EPERM, 'open() inside the scanner: EPERM from seccomp');
});

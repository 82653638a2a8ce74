// Which user the scanner runs as: as root the configured user, else `mdatp`, else `nobody`
// with a warning; a configured user that does not exist, or one with uid/gid 0, is refused;
// not root, the daemon's own user (it cannot switch).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lookupUser, scannerIdentity } from '../../src/scanner/identity.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-ident-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const passwd = (name: string, lines: string[]): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
};
const full = passwd('full', ['root:x:0:0:root:/root:/bin/bash', 'mdatp:x:999:995::/var/lib/wdavdaemon:/usr/sbin/nologin', 'nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin', 'toor:x:0:0::/:/bin/sh', 'grp0:x:1500:0::/:/bin/sh', 'bad:x:abc:1::/:/bin/sh']);
const noMdatp = passwd('no-mdatp', ['root:x:0:0:root:/root:/bin/bash', 'nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin']);
const nothing = passwd('nothing', ['root:x:0:0:root:/root:/bin/bash']);

t.test('lookupUser', async (t) => {
  t.same(lookupUser('mdatp', full), { name: 'mdatp', uid: 999, gid: 995 });
  t.equal(lookupUser('bad', full), null, 'a malformed line is no user');
  t.equal(lookupUser('mdatp', path.join(dir, 'missing')), null);
});

t.test('as root', async (t) => {
  t.match(scannerIdentity(null, { euid: 0, passwdFile: full }), { user: 'mdatp', uid: 999, gid: 995, fallback: null });
  t.match(scannerIdentity('nobody', { euid: 0, passwdFile: full }), { user: 'nobody', uid: 65534, fallback: null });
  t.match(scannerIdentity(null, { euid: 0, passwdFile: noMdatp }), { user: 'nobody', uid: 65534, fallback: /mdatp does not exist/ });
  t.throws(() => scannerIdentity('ghost', { euid: 0, passwdFile: full }), { code: 'WDAV_ERR_SCANNER', message: /scanner user ghost .* does not exist/ });
  t.throws(() => scannerIdentity(null, { euid: 0, passwdFile: nothing }), { code: 'WDAV_ERR_SCANNER', message: /neither/ });
  t.throws(() => scannerIdentity('toor', { euid: 0, passwdFile: full }), { code: 'WDAV_ERR_SCANNER', message: /is root/ });
  t.throws(() => scannerIdentity('grp0', { euid: 0, passwdFile: full }), { code: 'WDAV_ERR_SCANNER', message: /is root/ }, 'gid 0 is refused too');
});

t.test('not root: the daemon\'s own user', async (t) => {
  const me = os.userInfo();
  t.match(scannerIdentity(null, { euid: 1000, passwdFile: full }), { uid: me.uid, gid: me.gid, fallback: null });
  t.match(scannerIdentity('mdatp', { euid: 1000, passwdFile: full }), { uid: me.uid, fallback: /not root/ });
});

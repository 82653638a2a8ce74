// A parent of the state directory that others can write (and that is not sticky, as /tmp is)
// lets them rename the state directory away and put their own in its place: the daemon refuses
// to start, naming that parent and the fix, and does not create the state directory there.
// A sticky world-writable parent (like /tmp) is accepted.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { expectRefusal, readyOrExit } from '../helpers/trust.js';

t.test('a 0777 non-sticky parent of the state directory: refused, state not created', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-parent-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o777);
  const line = await expectRefusal(t, dir, dir, `chmod go-w ${dir}`);
  t.match(line, /not sticky/, 'says what is wrong');
  t.notOk(fs.existsSync(path.join(dir, 'state')), 'the state directory was not created');
});

t.test('a sticky 1777 parent (like /tmp) is accepted', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-sticky-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o1777);
  const d = await TestDaemon.start(t, { dir, waitReady: false });
  t.equal(await readyOrExit(d), 'ready', `the daemon started: ${d.stderr}`);
});

// What the daemon keeps in its state directory must be its own (issue #11, finding 3): a
// quarantine directory or quarantine.key owned by another user (who could then plant items or
// choose the key), a key others can read (it authenticates quarantine items), or a database
// others can write, makes the daemon refuse to start with one line naming the path and the
// fix; the path is left as it was. Put right, the daemon starts again.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { expectRefusal, otherUid, readyOrExit, skipOther } from '../helpers/trust.js';

t.test('foreign or open state contents: refused at start, left as they were', { skip: skipOther }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-foreign-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await TestDaemon.start(t, { dir });
  await first.stop();
  const state = first.stateDir;
  const cases: { name: string; target: string; spoil: (p: string) => void; fix: string }[] = [
    { name: 'quarantine/ owned by another user', target: path.join(state, 'quarantine'), spoil: (p) => fs.chownSync(p, otherUid!, otherUid!), fix: 'chown root' },
    { name: 'quarantine.key owned by another user', target: path.join(state, 'quarantine.key'), spoil: (p) => fs.chownSync(p, otherUid!, otherUid!), fix: 'chown root' },
    { name: 'quarantine.key readable by others', target: path.join(state, 'quarantine.key'), spoil: (p) => fs.chmodSync(p, 0o644), fix: 'chmod 600' },
    { name: 'wdavdaemon.db writable by others', target: path.join(state, 'wdavdaemon.db'), spoil: (p) => fs.chmodSync(p, 0o666), fix: 'chmod go-w' },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const before = fs.statSync(c.target);
      c.spoil(c.target);
      const spoiled = fs.statSync(c.target);
      await expectRefusal(t, dir, c.target, `${c.fix} ${c.target}`);
      const after = fs.statSync(c.target);
      t.same([after.uid, after.mode], [spoiled.uid, spoiled.mode], 'left as it was');
      fs.chownSync(c.target, before.uid, before.gid);
      fs.chmodSync(c.target, before.mode & 0o7777);
    });
  }
  const d = await TestDaemon.start(t, { dir, waitReady: false });
  t.equal(await readyOrExit(d), 'ready', `put right, the daemon starts: ${d.stderr}`);
});

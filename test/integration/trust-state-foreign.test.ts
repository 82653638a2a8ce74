// What the daemon keeps in its state directory must be its own (issue #11, finding 3): a
// quarantine directory or quarantine.key owned by another user (who could then plant items or
// choose the key), or a database others can write, makes the daemon refuse to start with one
// line naming the path and the fix; the file is left as it was.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { expectRefusal, otherUid, skipOther } from '../helpers/trust.js';

type Spoil = (state: string) => { target: string; fix: RegExp };

async function refusedAfter(t: Tap.Test, spoil: Spoil): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-foreign-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await TestDaemon.start(t, { dir });
  await first.stop();
  const { target, fix } = spoil(first.stateDir);
  const before = fs.statSync(target);
  await expectRefusal(t, dir, target, fix);
  const after = fs.statSync(target);
  t.same([after.uid, after.mode], [before.uid, before.mode], 'left as it was');
}

t.test('quarantine/ owned by another user', { skip: skipOther }, (t) =>
  refusedAfter(t, (state) => {
    const q = path.join(state, 'quarantine');
    fs.chownSync(q, otherUid!, otherUid!);
    return { target: q, fix: new RegExp(`chown root ${q}`) };
  }),
);

t.test('quarantine.key owned by another user', { skip: skipOther }, (t) =>
  refusedAfter(t, (state) => {
    const key = path.join(state, 'quarantine.key');
    fs.chownSync(key, otherUid!, otherUid!);
    return { target: key, fix: new RegExp(`chown root ${key}`) };
  }),
);

t.test('wdavdaemon.db writable by others', (t) =>
  refusedAfter(t, (state) => {
    const db = path.join(state, 'wdavdaemon.db');
    fs.chmodSync(db, 0o666);
    return { target: db, fix: new RegExp(`chmod go-w ${db}`) };
  }),
);

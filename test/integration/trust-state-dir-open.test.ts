// A state directory that others can write is refused (issue #11, finding 3): with a 0777 state
// dir another user replaced quarantine.key and quarantine/ and planted an item that root's
// restore wrote out as root. The daemon now refuses to start with one line naming the
// directory and the fix, exits non-zero and creates nothing in the directory.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectRefusal } from '../helpers/trust.js';

t.test('a 0777 state directory: refused at start, one line, nothing created', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-state-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  fs.chmodSync(state, 0o777);
  const line = await expectRefusal(t, dir, state, `chmod go-w ${state}`);
  t.match(line, /writable by (group and )?others/, 'says what is wrong');
  t.same(fs.readdirSync(state), [], 'nothing was created in it');
  t.equal(fs.statSync(state).mode & 0o777, 0o777, 'its mode was not changed');
});

// The database survives SIGKILL during writes: after many kills in the middle of a stream of
// writes, the daemon restarts, PRAGMA integrity_check passes, and every acknowledged write is there.
import t from 'tap';
import Database from 'better-sqlite3';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

t.test('SIGKILL during writes', async (t) => {
  const d = await TestDaemon.start(t);
  const acknowledged: string[] = [];
  for (let round = 0; round < 5; round++) {
    let stop = false;
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (let i = 0; !stop; i++) {
        const p = `/srv/r${round}/w${w}/${i}`;
        const r = await d.api('POST', '/v1/exclusions', { type: 'folder', value: p }).catch(() => null);
        if (r?.status === 201) acknowledged.push(p);
        if (!r) return;
      }
    });
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
    await d.kill();
    stop = true;
    await Promise.all(writers);
    d.spawn();
    await d.ready();
  }
  await d.stop();
  const db = new Database(path.join(d.stateDir, 'wdavdaemon.db'), { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const stored = new Set((db.prepare("SELECT value FROM exclusions WHERE kind = 'path'").all() as { value: string }[]).map((r) => r.value));
  t.ok(acknowledged.length > 20, `many writes were acknowledged (${acknowledged.length})`);
  t.same(acknowledged.filter((p) => !stored.has(p)), [], 'every acknowledged write survived');
});

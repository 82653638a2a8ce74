// A corrupt database file is moved aside and recreated with a loud log and a health issue,
// never a crash loop.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

t.test('corrupt database is moved aside', async (t) => {
  const d = await TestDaemon.start(t);
  await d.stop();
  const file = path.join(d.stateDir, 'wdavdaemon.db');
  for (const s of ['-wal', '-shm']) fs.rmSync(file + s, { force: true });
  const bytes = fs.readFileSync(file);
  bytes.fill(0x5a, 100, bytes.length); // keep the header, destroy the pages
  fs.writeFileSync(file, bytes);
  d.spawn();
  await d.ready();
  const log = d.logs.find((r) => /database is corrupt/.test(r.msg));
  t.ok(log, 'loud log');
  t.equal(log?.level, 50, 'at error level');
  const aside = fs.readdirSync(d.stateDir).filter((f) => f.startsWith('wdavdaemon.db.corrupt-') && !/-(wal|shm)$/.test(f));
  t.equal(aside.length, 1, 'damaged file kept for inspection');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.equal(h.healthy, false);
  t.match(h.health_issues.join('\n'), /database was corrupt and was recreated/);
  t.equal((await d.mdatp(['exclusion', 'folder', 'add', '--path', '/srv/x'])).code, 0, 'the new database works');

  // a file that is not a database at all
  await d.stop();
  fs.writeFileSync(file, 'this is not sqlite'.repeat(100));
  for (const s of ['-wal', '-shm']) fs.rmSync(file + s, { force: true });
  d.spawn();
  await d.ready();
  t.equal((await d.mdatp(['health', '--field', 'healthy'])).stdout.trim(), 'false');
});

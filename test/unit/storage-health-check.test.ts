// The periodic check of the state directory's space (src/store/storage-health.ts), when nothing
// else writes: low free space (statfs) is an issue before writes fail; a write failure for lack
// of space stands while a real probe write in the state directory still fails (a quota, which
// statfs does not show, is simulated by statfs claiming room on a full tmpfs), and clears once
// it succeeds. Errors that are not about space are not taken.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { LoggerFactory } from '../../src/shared/logger.js';
import { StorageHealth, type SpaceFigures } from '../../src/store/storage-health.js';
import { fillUp, scratchMount } from '../helpers/scratch-fs.js';

const isRoot = process.getuid?.() === 0;

t.test('low space, a failure kept while the probe fails, cleared when it succeeds', { skip: !isRoot && 'needs root: mounts a tmpfs' }, async (t) => {
  const stateDir = scratchMount(t, '1m');
  const logs: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = new LoggerFactory({ level: 'debug', priorityPrefix: false, destination: { write: (l: string) => void logs.push(JSON.parse(l)) } }).child('storage');
  let figures: SpaceFigures = { bsize: 4096, bfree: 100, bavail: 100, files: 1000, ffree: 900 };
  const h = new StorageHealth({ stateDir, logger, statfs: async () => figures, intervalMs: 3_600_000 });
  t.teardown(() => h.stop());

  await h.check();
  t.match(h.issues(), [/has 400 KiB free \(less than 4\.0 MiB\)/], 'low space is an issue before anything fails');
  figures = { ...figures, bfree: 1 << 20, bavail: 1 << 20 };
  await h.check();
  t.same(h.issues(), [], 'and clears when space is back');
  figures = { ...figures, ffree: 0 };
  await h.check();
  t.match(h.issues(), [/no free inodes/], 'no inodes left is the same');
  figures = { ...figures, ffree: 900 };
  await h.check();

  t.notOk(h.noteFailure('quarantine', stateDir, Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })), 'not about space: not taken');
  t.same(h.issues(), []);

  // statfs says there is room, but writes fail: the failure stands.
  const filler = path.join(stateDir, 'filler');
  fillUp(filler);
  let err: unknown;
  try {
    fs.writeFileSync(path.join(stateDir, 'one-more'), Buffer.alloc(8192));
  } catch (e) {
    err = e;
  }
  t.ok(h.noteFailure('quarantine', path.join(stateDir, 'quarantine'), err), 'ENOSPC taken');
  const sqliteFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  t.ok(h.noteFailure('database', path.join(stateDir, 'wdavdaemon.db'), sqliteFull), 'SQLITE_FULL taken');
  t.ok(h.noteFailure('database', path.join(stateDir, 'wdavdaemon.db'), sqliteFull), 'a repeat too');
  t.equal(logs.filter((r) => r.level === 50).length, 2, 'logged once per failure, the repeat dropped');
  t.match(h.issues(), [/state directory .* is full: cannot write the quarantine in .*\(ENOSPC: no space left/, /cannot write the database in .*wdavdaemon\.db \(SQLITE_FULL: database or disk is full\)/]);
  await h.check();
  t.equal(h.issues().length, 2, 'the probe write failed: both stand');
  t.notOk(fs.readdirSync(stateDir).some((n) => n.startsWith('.wdav-space-probe')), 'no probe file left behind');

  fs.rmSync(filler);
  await h.check();
  t.same(h.issues(), [], 'the probe succeeded: cleared without any other write');
  t.ok(logs.some((r) => r.msg === 'the database is writable again' && r.dropped === 1), 'the clearing is logged, with the repeats dropped');
  t.notOk(fs.readdirSync(stateDir).some((n) => n.startsWith('.wdav-space-probe')));
});

t.test('a later successful write clears its own failure only', async (t) => {
  const logger = new LoggerFactory({ level: 'error', priorityPrefix: false, destination: { write: () => undefined } }).child('storage');
  const h = new StorageHealth({ stateDir: '/nonexistent', logger });
  h.noteFailure('quarantine', '/q', Object.assign(new Error('EDQUOT: disk quota exceeded'), { code: 'EDQUOT' }));
  h.noteFailure('database', '/db', Object.assign(new Error('wrapped'), { cause: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }) }));
  t.equal(h.issues().length, 2, 'a wrapped SQLITE_FULL counts');
  h.noteSuccess('database');
  t.match(h.issues(), [/cannot write the quarantine in \/q \(EDQUOT: disk quota exceeded\)/]);
  h.noteSuccess('quarantine');
  t.same(h.issues(), []);
});

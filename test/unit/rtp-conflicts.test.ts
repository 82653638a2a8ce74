// Conflicting applications: a process with an fd linking to anon_inode:[fanotify] whose fdinfo
// has a mark with permission bits is listed as `name (pid)`; notification-only groups, other
// anon inodes and the daemon itself are not. Uses a /proc-shaped directory of real symlinks.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeApps, findConflictingApps, hasPermissionMarks } from '../../src/rtp/conflicts.js';

const PERM_INFO = 'pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\nfanotify flags:10 event-flags:8000\nfanotify mnt_id:39 mflags:0 mask:48010 ignored_mask:0\n';
const NOTIFY_INFO = 'pos:\t0\nflags:\t02\nfanotify flags:0 event-flags:0\nfanotify ino:4f969 sdev:800013 mflags:0 mask:3b ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:69f90400c3b09803\n';

t.test('fdinfo parsing', async (t) => {
  t.ok(hasPermissionMarks(PERM_INFO), 'FAN_OPEN_PERM|FAN_OPEN_EXEC_PERM mask');
  t.notOk(hasPermissionMarks(NOTIFY_INFO), 'notification-only mask');
  t.notOk(hasPermissionMarks('fanotify flags:10 event-flags:8000\n'), 'a group without marks');
  t.ok(hasPermissionMarks(NOTIFY_INFO + 'fanotify mnt_id:1 mflags:0 mask:20000 ignored_mask:0\n'), 'FAN_ACCESS_PERM on a second mark');
});

t.test('scanning a proc tree', async (t) => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-proc-'));
  t.teardown(() => fs.rmSync(proc, { recursive: true, force: true }));
  const mk = (pid: number, comm: string, fds: Record<string, [string, string?]>) => {
    fs.mkdirSync(path.join(proc, String(pid), 'fd'), { recursive: true });
    fs.mkdirSync(path.join(proc, String(pid), 'fdinfo'), { recursive: true });
    fs.writeFileSync(path.join(proc, String(pid), 'comm'), `${comm}\n`);
    for (const [fd, [target, info]] of Object.entries(fds)) {
      fs.symlinkSync(target, path.join(proc, String(pid), 'fd', fd));
      if (info) fs.writeFileSync(path.join(proc, String(pid), 'fdinfo', fd), info);
    }
  };
  mk(100, 'clamonacc', { 3: ['anon_inode:[fanotify]', PERM_INFO] });
  mk(200, 'auditor', { 4: ['anon_inode:[fanotify]', NOTIFY_INFO] });
  mk(300, 'node', { 5: ['anon_inode:[eventfd]'], 6: ['/etc/passwd'] });
  mk(400, 'wdavdaemon', { 7: ['anon_inode:[fanotify]', PERM_INFO] });
  fs.mkdirSync(path.join(proc, 'self'));
  const apps = await findConflictingApps(400, proc);
  t.same(apps, [{ pid: 100, name: 'clamonacc' }]);
  t.same(describeApps(apps), ['clamonacc (100)']);
  t.same(await findConflictingApps(1, path.join(proc, 'missing')), [], 'no /proc: nothing, no throw');
});

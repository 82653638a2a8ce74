// Which mounts RTP marks: monitored types only, nfs/fuse only when removed from
// unmonitoredFilesystems (and any listed type skipped), noexec muted on request, RTP paths
// narrowing to the mounts that contain or lie below them, stacked mounts resolved to the top.
import t from 'tap';
import { selectMounts } from '../../src/rtp/mounts.js';
import { parseMountInfo } from '../../src/shared/mountinfo.js';

const INFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:5 / /proc rw,nosuid - proc proc rw',
  '24 22 0:20 / /tmp rw,nosuid,nodev shared:2 - tmpfs tmpfs rw',
  '25 22 0:21 / /mnt/nfs rw - nfs4 srv:/export rw,vers=4.2',
  '26 22 0:22 / /home/u/remote rw - fuse.sshfs u@h: rw',
  '27 22 0:23 / /media/usb rw,noexec - vfat /dev/sdb1 rw',
  '28 24 0:24 / /tmp/with\\040space rw - tmpfs tmpfs rw',
  '29 24 0:25 / /tmp/stack rw - tmpfs tmpfs rw',
  '30 24 0:26 / /tmp/stack rw - xfs /dev/sdc rw',
  '31 22 0:27 / /dev rw - devtmpfs udev rw',
  'garbage line',
].join('\n');

const entries = parseMountInfo(INFO);
const DEFAULT = { unmonitoredFilesystems: ['nfs', 'fuse'], nonExecMountPolicy: 'unmute' as const };
const points = (s: ReturnType<typeof selectMounts>) => s.monitored.map((m) => m.mountPoint);

t.test('parse keeps id, unescaped point, type and options', async (t) => {
  t.equal(entries.length, 10);
  t.match(entries.find((e) => e.mountId === 28), { mountPoint: '/tmp/with space', fsType: 'tmpfs' });
  t.same(entries.find((e) => e.mountId === 27)!.options, ['rw', 'noexec']);
});

t.test('default policy: local monitored types', async (t) => {
  const s = selectMounts(entries, DEFAULT, null);
  t.same(points(s).sort(), ['/', '/media/usb', '/tmp', '/tmp/stack', '/tmp/with space']);
  t.match(s.monitored.find((m) => m.mountPoint === '/tmp/stack'), { fsType: 'xfs', mountId: 30 }, 'the top of a stack');
  t.match(s.skipped.find((m) => m.mountPoint === '/mnt/nfs'), { reason: /unmonitoredFilesystems/ });
  t.match(s.skipped.find((m) => m.mountPoint === '/proc'), { reason: /not monitored/ });
  t.match(s.skipped.find((m) => m.mountPoint === '/dev'), { reason: /devtmpfs is not monitored/ });
});

t.test('nfs and fuse when removed from unmonitoredFilesystems; listed types skipped', async (t) => {
  const s = selectMounts(entries, { unmonitoredFilesystems: ['tmpfs'], nonExecMountPolicy: 'unmute' }, null);
  t.same(points(s).sort(), ['/', '/home/u/remote', '/media/usb', '/mnt/nfs', '/tmp/stack']);
});

t.test('nonExecMountPolicy mute skips noexec mounts', async (t) => {
  const s = selectMounts(entries, { ...DEFAULT, nonExecMountPolicy: 'mute' }, null);
  t.notOk(points(s).includes('/media/usb'));
  t.match(s.skipped.find((m) => m.mountPoint === '/media/usb'), { reason: /noexec/ });
});

t.test('RTP paths: the containing mount and the mounts below', async (t) => {
  t.same(points(selectMounts(entries, DEFAULT, ['/tmp/stack'])), ['/tmp/stack']);
  t.same(points(selectMounts(entries, DEFAULT, ['/tmp'])).sort(), ['/tmp', '/tmp/stack', '/tmp/with space']);
  t.same(points(selectMounts(entries, DEFAULT, ['/srv/data'])), ['/'], 'a path without its own mount: the root mount');
  t.same(points(selectMounts(entries, DEFAULT, ['/tmp/stackother'])), ['/tmp'], 'prefix of a name is not containment');
  const s = selectMounts(entries, DEFAULT, ['/mnt/nfs/x']);
  t.same(points(s), []);
  t.match(s.skipped, [{ mountPoint: '/mnt/nfs' }]);
});

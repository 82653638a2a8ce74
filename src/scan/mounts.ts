// src/scan/mounts.ts — which mounts an on-demand scan never enters, from /proc/self/mountinfo.
// Pseudo filesystems (proc, sysfs, devtmpfs, cgroup, ...) are never scanned by any scan; a full
// scan also stays off network filesystems (MDE: "local supported filesystems only"). The native
// walker additionally refuses pseudo filesystems by statfs magic, but devtmpfs looks like tmpfs
// there, so the device list from mountinfo is the primary rule. `unmonitoredFilesystems` is a
// real-time setting and does not apply here (as in MDE). Owns: the two fs lists (src/shared/mountinfo.ts parses).
// Must not: walk or mark anything.
import { readMountInfo, type MountInfoEntry } from '../shared/mountinfo.js';

export { readMountInfo };
export type MountEntry = Pick<MountInfoEntry, 'major' | 'minor' | 'mountPoint' | 'fsType'>;

/** Kernel pseudo filesystems: their files are not files on a disk. */
export const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs',
  'pstore', 'bpf', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'autofs', 'binfmt_misc',
  'efivarfs', 'selinuxfs', 'smackfs', 'rpc_pipefs', 'nsfs', 'nfsd', 'rootfs',
]);

/** Remote filesystems a full scan leaves alone. */
export const NETWORK_FILESYSTEMS: ReadonlySet<string> = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ncpfs', 'afs', 'ceph', 'glusterfs', 'fuse.glusterfs',
  'fuse.sshfs', 'fuse.s3fs', 'fuse.rclone', 'fuse.gcsfuse', 'fuse.davfs2', '9p', 'lustre', 'gpfs', 'ocfs2',
]);

export interface SkippedMounts {
  /** [major, minor] pairs, as the native walker takes them. */
  devices: Uint32Array;
  mountPoints: string[];
}

/** `mountPoints` lists only the skipped mounts that lie inside `roots` (what the scan misses). */
export function skippedMounts(mounts: readonly MountEntry[], localOnly: boolean, roots: readonly string[] = ['/']): SkippedMounts {
  const pairs: number[] = [];
  const mountPoints: string[] = [];
  const inside = (mp: string) => roots.some((r) => r === '/' || mp === r || mp.startsWith(`${r}/`));
  for (const m of mounts) {
    if (m.fsType === 'rootfs') continue;
    if (PSEUDO_FILESYSTEMS.has(m.fsType) || (localOnly && NETWORK_FILESYSTEMS.has(m.fsType))) {
      pairs.push(m.major, m.minor);
      if (inside(m.mountPoint) && !mountPoints.includes(m.mountPoint)) mountPoints.push(m.mountPoint);
    }
  }
  return { devices: Uint32Array.from(pairs), mountPoints };
}

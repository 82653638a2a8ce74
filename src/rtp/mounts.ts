// src/rtp/mounts.ts — which mounts real-time protection marks (issue 5, item 6). From
// /proc/self/mountinfo (mount id, mount point, options, type): monitored filesystem types are
// btrfs, ecryptfs, ext2/3/4, fuseblk, jfs, overlay, ramfs, reiserfs, tmpfs, vfat and xfs; nfs and
// fuse only when removed from `unmonitoredFilesystems` (any type listed there is skipped);
// `nonExecMountPolicy: mute` skips noexec mounts. With RTP paths, only the mounts that contain
// a path or lie below one are candidates (the native scope prefix answers the rest of each mount).
// Owns: the selection (src/shared/mountinfo.ts parses). Must not: mark anything (the backend does).
import type { MountInfoEntry } from '../shared/mountinfo.js';

export const MONITORED_FILESYSTEMS: ReadonlySet<string> = new Set([
  'btrfs', 'ecryptfs', 'ext2', 'ext3', 'ext4', 'fuseblk', 'jfs', 'overlay', 'ramfs', 'reiserfs', 'tmpfs', 'vfat', 'xfs',
]);

export type { MountInfoEntry };

export interface MonitoredMount {
  mountId: number;
  mountPoint: string;
  fsType: string;
  noexec: boolean;
}

export interface SkippedMount {
  mountPoint: string;
  fsType: string;
  reason: string;
}

export interface MountSelection {
  monitored: MonitoredMount[];
  skipped: SkippedMount[];
}

export interface MountPolicy {
  unmonitoredFilesystems: readonly string[];
  nonExecMountPolicy: 'unmute' | 'mute';
}

/** The family a type belongs to for `unmonitoredFilesystems` (nfs4 → nfs, fuse.sshfs → fuse). */
function family(fsType: string): string {
  if (fsType === 'nfs' || fsType === 'nfs4') return 'nfs';
  if (fsType === 'fuse' || fsType.startsWith('fuse.')) return 'fuse';
  return fsType;
}

/** Why a mount of this type and these options is not monitored, or null when it is. */
export function skipReason(m: Pick<MountInfoEntry, 'fsType' | 'options'>, policy: MountPolicy): string | null {
  const unmonitored = new Set(policy.unmonitoredFilesystems.map((x) => x.trim()).filter(Boolean));
  if (unmonitored.has(m.fsType) || unmonitored.has(family(m.fsType))) return `${m.fsType} is listed in unmonitoredFilesystems`;
  const fam = family(m.fsType);
  if (!MONITORED_FILESYSTEMS.has(m.fsType) && fam !== 'nfs' && fam !== 'fuse') return `filesystem type ${m.fsType} is not monitored`;
  if (policy.nonExecMountPolicy === 'mute' && m.options.includes('noexec')) return 'noexec mount muted by nonExecMountPolicy';
  return null;
}

function under(p: string, dir: string): boolean {
  return dir === '/' ? p.startsWith('/') : p === dir || p.startsWith(dir + '/');
}

/** Mounts to mark: all monitored ones, or (with `paths`) those containing or below a path. */
export function selectMounts(entries: readonly MountInfoEntry[], policy: MountPolicy, paths: readonly string[] | null): MountSelection {
  // A later entry at the same mount point is stacked on top: a mark by path reaches only that one.
  const top = new Map<string, MountInfoEntry>();
  for (const e of entries) {
    top.delete(e.mountPoint);
    top.set(e.mountPoint, e);
  }
  let candidates = [...top.values()];
  if (paths && paths.length > 0) {
    const chosen = new Set<MountInfoEntry>();
    for (const p of paths) {
      let best: MountInfoEntry | undefined;
      for (const e of candidates) {
        if (under(p, e.mountPoint) && (!best || e.mountPoint.length > best.mountPoint.length)) best = e;
        if (under(e.mountPoint, p)) chosen.add(e);
      }
      if (best) chosen.add(best);
    }
    candidates = candidates.filter((e) => chosen.has(e));
  }
  const out: MountSelection = { monitored: [], skipped: [] };
  for (const e of candidates) {
    const reason = skipReason(e, policy);
    if (reason) out.skipped.push({ mountPoint: e.mountPoint, fsType: e.fsType, reason });
    else out.monitored.push({ mountId: e.mountId, mountPoint: e.mountPoint, fsType: e.fsType, noexec: e.options.includes('noexec') });
  }
  return out;
}

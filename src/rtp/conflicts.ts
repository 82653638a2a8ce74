// src/rtp/conflicts.ts — finds other processes that hold a fanotify group with permission
// events (issue 5, item 7): two permission listeners on the same files add their latencies,
// and either can freeze the other's scanners. A group shows as an fd linking to
// "anon_inode:[fanotify]"; its marks are "fanotify ... mask:HEX ..." lines in
// /proc/PID/fdinfo/FD, and a mask with FAN_OPEN_PERM, FAN_ACCESS_PERM or FAN_OPEN_EXEC_PERM is
// a permission listener. Reads /proc asynchronously so a large system never stalls the event
// loop that answers the kernel. Owns: the scan. Must not: touch the processes it finds.
import fs from 'node:fs/promises';

export const FAN_OPEN_PERM = 0x10000;
export const FAN_ACCESS_PERM = 0x20000;
export const FAN_OPEN_EXEC_PERM = 0x40000;
const PERM_BITS = FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM;

export interface ConflictingApp {
  pid: number;
  name: string;
}

/** True when fdinfo text of a fanotify fd has at least one mark with permission events. */
export function hasPermissionMarks(fdinfo: string): boolean {
  for (const m of fdinfo.matchAll(/^fanotify\b.*?\bmask:([0-9a-fA-F]+)/gm)) {
    if ((parseInt(m[1]!, 16) & PERM_BITS) !== 0) return true;
  }
  return false;
}

async function isPermissionListener(proc: string, pid: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await fs.readdir(`${proc}/${pid}/fd`);
  } catch {
    return false;  // gone, or not ours to read
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = await fs.readlink(`${proc}/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:[fanotify]') continue;
    try {
      if (hasPermissionMarks(await fs.readFile(`${proc}/${pid}/fdinfo/${fd}`, 'latin1'))) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/** Every process except `selfPid` holding a fanotify group with permission marks. */
export async function findConflictingApps(selfPid = process.pid, proc = '/proc'): Promise<ConflictingApp[]> {
  const out: ConflictingApp[] = [];
  let pids: string[];
  try {
    pids = (await fs.readdir(proc)).filter((d) => /^\d+$/.test(d) && Number(d) !== selfPid);
  } catch {
    return out;
  }
  // A few at a time: bounded concurrency, and the event loop stays responsive between them.
  const step = 16;
  for (let i = 0; i < pids.length; i += step) {
    const slice = pids.slice(i, i + step);
    const hits = await Promise.all(slice.map((p) => isPermissionListener(proc, p)));
    for (let j = 0; j < slice.length; j++) {
      if (!hits[j]) continue;
      const pid = Number(slice[j]);
      let name = '';
      try {
        name = (await fs.readFile(`${proc}/${pid}/comm`, 'utf8')).trim();
      } catch {
        continue;  // exited
      }
      out.push({ pid, name });
    }
  }
  return out;
}

export function describeApps(apps: readonly ConflictingApp[]): string[] {
  return apps.map((a) => `${a.name} (${a.pid})`);
}

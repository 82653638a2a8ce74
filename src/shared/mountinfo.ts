// src/shared/mountinfo.ts — the one parser of /proc/self/mountinfo, shared by real-time
// protection (which mounts to mark) and on-demand scans (which mounts never to enter).
// Owns: parsing. Must not: decide what a mount means for either of them.
import fs from 'node:fs';

export interface MountInfoEntry {
  mountId: number;
  /** Device of the filesystem (st_dev), as the native walker compares it. */
  major: number;
  minor: number;
  mountPoint: string;
  /** Per-mount options (rw, noexec, nosuid, ...). */
  options: string[];
  fsType: string;
  source: string;
}

/** The kernel escapes space, tab, newline and backslash in paths as \ooo. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses mountinfo text; malformed lines are ignored (the kernel writes it, but be safe). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    const dev = /^(\d+):(\d+)$/.exec(f[2] ?? '');
    if (sep < 0 || f.length < sep + 3 || !dev || !/^\d+$/.test(f[0] ?? '') || f[4] === undefined) continue;
    out.push({
      mountId: Number(f[0]),
      major: Number(dev[1]),
      minor: Number(dev[2]),
      mountPoint: unescapeOctal(f[4]),
      options: (f[5] ?? '').split(','),
      fsType: f[sep + 1]!,
      source: unescapeOctal(f[sep + 2]!),
    });
  }
  return out;
}

/** Empty when /proc is not there (not Linux): callers then have nothing to mark or skip. */
export function readMountInfo(file = '/proc/self/mountinfo'): MountInfoEntry[] {
  try {
    return parseMountInfo(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

// test/helpers/scratch-fs.ts — a small file system of a test's own (a tmpfs mounted under a temp
// dir when root, unmounted in teardown, also on failure) and filling one up to the last byte,
// for the disk-full tests of the state directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

type T = { teardown(fn: () => unknown): void };

/** A directory of its own: a tmpfs of `size` when root, else a temp dir. Removed at teardown. */
export function scratchMount(t: T, size = '16m'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-scratch-'));
  let mounted = false;
  if (process.getuid?.() === 0) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
    mounted = true;
  }
  t.teardown(() => {
    if (mounted) {
      try {
        execFileSync('umount', ['-l', dir]);
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Appends to `file` until its file system answers ENOSPC (to the last byte), then gives back `leave` bytes. */
export function fillUp(file: string, leave = 0): void {
  const fd = fs.openSync(file, 'a');
  try {
    for (const n of [65536, 4096, 512, 1]) {
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(n, 1));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
    if (leave > 0) fs.ftruncateSync(fd, Math.max(0, fs.fstatSync(fd).size - leave));
  } finally {
    fs.closeSync(fd);
  }
}

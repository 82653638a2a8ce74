// src/shared/fd.ts — closing a file descriptor we own when nothing can be done about a failure
// (scan walker batches, on-demand batches, fanotify event fds). Owns this helper only.
import fs from 'node:fs';

/** Closes `fd`; errors are ignored: only EBADF is possible for a read-only fd we own. */
export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // never double-closed by design; nothing else is actionable on close of a read fd
  }
}

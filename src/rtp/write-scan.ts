// src/rtp/write-scan.ts — what an after-write job does (for both backends): identity of the
// file as it is now (fstat of the fd), exclusions and size limit, the verdict through the
// pipeline's background lane, and for a detection the policy and the threat service (source
// 'on_write', never blocked: nobody is waiting). A clean verdict lands in the verdict cache,
// so the first open after a write is answered without a second scan — and, with a kernel clean
// cache (fanotify: `CleanMarker`), becomes an ignore mark, so that open causes no event at all.
// Owns: nothing beyond the job. Must not: close a job's fd (the scheduler does).
import fs from 'node:fs';
import { eventPath } from './paths.js';
import type { RtpPipeline } from './pipeline.js';
import type { WriteJob } from './after-write.js';
import type { FileIdentity } from './verdict-cache.js';

/** A kernel clean cache for verdicts reached after a write (the fanotify group's markClean). */
export interface CleanMarker {
  /** Taken before the verdict: a flush meanwhile makes the mark stale (refused). */
  epoch(): number;
  mark(fd: number, file: FileIdentity, epoch: number): void;
}

const C = fs.constants;
const OPEN_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;

function openNoFollow(p: Buffer): number {
  if (C.O_NOATIME) {
    try {
      return fs.openSync(p, OPEN_FLAGS | C.O_NOATIME);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
  }
  return fs.openSync(p, OPEN_FLAGS);
}

export async function scanWritten(p: RtpPipeline, job: WriteJob, marker?: CleanMarker): Promise<void> {
  const path = eventPath(job.path);
  const proc = job.pid !== null ? p.process(job.pid) : null;
  // Exclusions first: an excluded path is never opened, not even by us.
  if (p.excluded(path, proc)) return;
  let own: number | undefined;
  try {
    let fd = job.fd;
    if (fd === undefined) {
      try {
        fd = own = openNoFollow(job.path);
      } catch {
        return;  // gone or replaced by a symlink meanwhile: the next write or open brings it back
      }
    }
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile()) return;
    const size = Number(st.size);
    if (p.sizeSkip(size)) return;
    const id = { dev: st.dev, ino: st.ino, size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
    const epoch = marker?.epoch();
    const v = await p.verdict(id, fd, { lane: 'background', origin: 'on_write', proc, path });
    // Only through the event's own fd (fanotify): the mark must land on the inode that was
    // scanned. Not for a YARA timeout (see fanotify/events.ts).
    if (v.kind === 'clean' && !v.scanTimeout && epoch !== undefined && job.fd !== undefined) marker!.mark(fd, id, epoch);
    if (v.kind !== 'detected') return;
    const j = await p.judge(v, fd, job.pid);
    await p.report(v, { path, fd, pid: job.pid, source: 'on_write', blocked: false, judgement: { ...j, size: j.size ?? size } });
  } finally {
    if (own !== undefined) fs.closeSync(own);
  }
}

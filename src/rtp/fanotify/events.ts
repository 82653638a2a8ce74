// src/rtp/fanotify/events.ts — turns fanotify events into answers. A permission event (open,
// exec) goes through the pipeline and is answered exactly once through respond(): ALLOW with a
// kernel ignore mark when clean (epoch captured before the verdict, so a flush meanwhile
// prevents a stale mark), DENY only when the policy says so, the configured default response
// when the queue is full or the scan failed. Remediation runs after the answer.
// close_write events become after-write jobs.
// Ownership: every event fd handed to JS is closed here exactly once — after the answer, or
// after the threat service finished with it for a detection; close_write fds pass to the
// after-write scheduler. Must not: mark mounts or change group options (backend.ts does).
import { closeQuietly } from '../../shared/fd.js';
import { QueueFullError } from '../../scan/queue.js';
import { errorMessage } from '../../shared/errors.js';
import type { AfterWriteScheduler } from '../after-write.js';
import { eventPath } from '../paths.js';
import { DeadlinePassed, type RtpPipeline } from '../pipeline.js';
import type { FanotifyEvent, FanotifyGroup } from './native.js';

export interface AnswerCounters {
  allowed: number;
  denied: number;
  defaultAnswers: number;
  late: number;
  internalErrors: number;
}

export class FanotifyEventHandler {
  readonly answers: AnswerCounters = { allowed: 0, denied: 0, defaultAnswers: 0, late: 0, internalErrors: 0 };
  private lastErrorLog = 0;

  constructor(
    private readonly p: RtpPipeline,
    private readonly afterWrite: () => AfterWriteScheduler | null,
  ) {}

  onEvents(group: FanotifyGroup, events: FanotifyEvent[]): void {
    // Native stamps no time on events; the batch arrives as soon as the JS thread is free.
    const deadline = Date.now() + this.p.settings.wdavdaemon.rtpTimeoutMs;
    for (const e of events) {
      if (e.kind === 'close_write') this.closeWrite(e);
      else void this.permission(group, e, deadline);
    }
  }

  private closeWrite(e: FanotifyEvent): void {
    const aw = this.afterWrite();
    if (!aw) return closeQuietly(e.fd);
    const proc = this.p.processes.lookup(e.pid);
    this.p.hot.record(eventPath(e.path).text, proc.exe, e.pid, false);
    aw.submit({ key: `${e.dev}:${e.ino}`, fd: e.fd, path: e.path, pid: e.pid });
  }

  private answer(group: FanotifyGroup, e: FanotifyEvent, allow: boolean, mark: { epoch: number } | null): boolean {
    const ok = group.respond(e.id, allow, mark && allow ? { ignoreMark: true, epoch: mark.epoch } : undefined);
    if (!ok) this.answers.late++;
    else if (allow) this.answers.allowed++;
    else this.answers.denied++;
    return ok;
  }

  private answerDefault(group: FanotifyGroup, e: FanotifyEvent): void {
    this.answers.defaultAnswers++;
    this.answer(group, e, this.p.settings.wdavdaemon.rtpDefaultResponse === 'allow', null);
  }

  private async permission(group: FanotifyGroup, e: FanotifyEvent, deadline: number): Promise<void> {
    let fdPassedOn = false;
    try {
      const path = eventPath(e.path);
      const proc = this.p.process(e.pid);
      this.p.hot.record(path.text, proc.exe, e.pid, true);
      const skip = this.p.precheck(path, proc, e.size);
      if (skip) {
        // Exclusions are per path or process, not per inode: no mark, or a hard link or
        // another process would ride on it. Size is a property of the inode (a write that
        // changes it clears the mark).
        this.answer(group, e, true, skip === 'too_large' || skip === 'empty' ? { epoch: group.epoch } : null);
        return;
      }
      const epoch = group.epoch;
      let v;
      try {
        v = await this.p.verdict(e, e.fd, { lane: 'real_time', origin: 'real_time', proc, deadline, path });
      } catch (err) {
        if (err instanceof QueueFullError) this.p.counters.queueFull++;
        else if (!(err instanceof DeadlinePassed)) throw err;
        this.answerDefault(group, e);
        return;
      }
      if (group.closed) return;  // disabled meanwhile: the kernel allowed everything pending
      switch (v.kind) {
        case 'clean':
          // No kernel mark when YARA timed out: the verdict cache keeps it, and a cache entry
          // (bounded, LRU) is retried one day where a mark would hold until the file changes.
          this.answer(group, e, true, v.scanTimeout ? null : { epoch });
          return;
        case 'skipped':
          this.answer(group, e, true, v.reason === 'too_large' ? { epoch } : null);
          return;
        case 'error':
          this.answerDefault(group, e);
          return;
        case 'detected': {
          const j = await this.p.judge(v, e.fd, e.pid);
          const responded = this.answer(group, e, !j.decision.deny, null);
          fdPassedOn = true;
          void this.p
            .report(v, { path, fd: e.fd, pid: e.pid, source: 'real_time', blocked: j.decision.deny && responded, judgement: { ...j, size: j.size ?? e.size } })
            .finally(() => closeQuietly(e.fd));
          return;
        }
      }
    } catch (err) {
      this.answers.internalErrors++;
      const now = Date.now();
      if (now - this.lastErrorLog > 10_000) {
        this.lastErrorLog = now;
        this.p.deps.logger.error({ err: errorMessage(err), path: e.path.toString('utf8') }, 'real-time event failed; answered with the default response');
      }
      if (!group.closed) this.answerDefault(group, e);
    } finally {
      if (!fdPassedOn) closeQuietly(e.fd);
    }
  }
}

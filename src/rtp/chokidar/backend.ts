// src/rtp/chokidar/backend.ts — the fallback real-time backend (issue 5, item 9) for a daemon
// without CAP_SYS_ADMIN, or when chosen: chokidar (inotify) watches the RTP paths, and each
// file that was added or changed is scanned once its writes settle (awaitWriteFinish), then
// remediated after the fact (source 'on_write'). Nothing is blocked: inotify cannot.
// Bounded: at most `chokidarMaxDirectories` directories are watched; beyond that new
// directories are left out and a health issue says so. The daemon's own state directory and
// socket directory are never watched (its own writes would feed back into it).
// Owns: the watcher and its after-write scheduler. Must not: open files itself (write-scan does).
import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';
import { AfterWriteScheduler } from '../after-write.js';
import type { RtpPipeline } from '../pipeline.js';
import type { RtpBackend, RtpBackendStatus } from '../types.js';
import { scanWritten } from '../write-scan.js';

export interface ChokidarBackendOptions {
  pipeline: RtpPipeline;
  paths: string[];
  /** Directories never watched (state directory, socket directory). */
  neverWatch: string[];
  /** How long a file's size must stay unchanged before it is scanned (ms). */
  settleMs?: number;
}

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

export class ChokidarBackend implements RtpBackend {
  readonly subsystem = 'inotify' as const;
  private watcher: FSWatcher | null = null;
  private afterWrite: AfterWriteScheduler | null = null;
  private readonly dirs = new Set<string>();
  private capReached = false;
  private readonly refused = new Set<string>();
  private watchErrors = 0;
  private lastError: string | null = null;
  private readonly p: RtpPipeline;

  constructor(private readonly o: ChokidarBackendOptions) {
    this.p = o.pipeline;
  }

  private get log() {
    return this.p.deps.logger;
  }

  private get cap(): number {
    return this.p.settings.wdavdaemon.chokidarMaxDirectories;
  }

  private ignored(p: string, stats?: Stats): boolean {
    if (this.o.neverWatch.some((d) => under(p, d))) return true;
    // chokidar asks here, with stats, before it watches a directory (initial crawl included,
    // which emits no addDir with ignoreInitial): the place to count and to enforce the cap.
    if (stats?.isDirectory() && !this.dirs.has(p)) {
      if (this.dirs.size >= this.cap) {
        this.refuse(p);
        return true;
      }
      this.dirs.add(p);
    }
    return false;
  }

  private refuse(dir: string): void {
    if (!this.capReached) this.log.warn({ limit: this.cap, dir }, 'chokidar directory limit reached: further directories are not watched');
    this.capReached = true;
    // Only a sample is kept, for the health report.
    if (this.refused.size < 16) this.refused.add(dir);
  }

  async setEnabled(on: boolean): Promise<void> {
    if (on && !this.watcher) await this.open();
    else if (!on && this.watcher) await this.close('real-time protection disabled');
  }

  private async open(): Promise<void> {
    this.afterWrite = new AfterWriteScheduler((job) => scanWritten(this.p, job), 1024, 2, (job, e) =>
      this.log.warn({ path: job.path.toString('utf8'), err: errorMessage(e) }, 'after-write scan failed'),
    );
    this.dirs.clear();
    this.refused.clear();
    this.capReached = false;
    const settle = this.o.settleMs ?? 300;
    const w = watch(this.o.paths, {
      ignoreInitial: true,
      followSymlinks: false,
      ignorePermissionErrors: true,
      awaitWriteFinish: { stabilityThreshold: settle, pollInterval: Math.max(20, Math.floor(settle / 4)) },
      ignored: (p: string, st?: Stats) => this.ignored(p, st),
    });
    this.watcher = w;
    const onFile = (p: string) => {
      this.p.hot.record(p, null, 0, false);
      this.afterWrite?.submit({ key: p, path: Buffer.from(p), pid: null });
    };
    w.on('add', onFile);
    w.on('change', onFile);
    w.on('addDir', (p: string) => {
      if (this.dirs.has(p)) return;
      if (this.dirs.size >= this.cap) {
        this.refuse(p);
        w.unwatch(p);
        return;
      }
      this.dirs.add(p);
    });
    w.on('unlinkDir', (p: string) => this.dirs.delete(p));
    w.on('error', (e: unknown) => {
      this.watchErrors++;
      this.lastError = errorMessage(e);
      this.log.warn({ err: this.lastError }, 'chokidar watch error');
    });
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    this.log.info({ paths: this.o.paths, directories: this.dirs.size, limit: this.cap }, 'real-time protection active (chokidar: detection after writes, no blocking)');
  }

  private async close(reason: string): Promise<void> {
    const w = this.watcher;
    if (!w) return;
    this.watcher = null;
    this.afterWrite?.stop();
    const aw = this.afterWrite;
    this.afterWrite = null;
    await w.close();
    await aw?.idle();
    this.log.info({ reason }, 'real-time protection stopped (chokidar)');
  }

  flush(): void {
    this.p.flush();
  }

  reconfigure(): void {
    // Paths are fixed at start; the directory limit is read on every new directory.
  }

  status(): RtpBackendStatus {
    const issues: string[] = [];
    if (this.capReached) issues.push(`real-time protection (chokidar) watches the maximum of ${this.cap} directories (chokidarMaxDirectories); newer directories are not protected, e.g. ${[...this.refused].slice(0, 3).join(', ')}`);
    return {
      active: this.watcher !== null,
      issues,
      features: {
        real_time_protection_watched_paths: this.o.paths.map((p) => path.resolve(p)),
        real_time_protection_watched_directories: this.dirs.size,
        real_time_protection_directory_limit: this.cap,
        real_time_protection_watch_errors: this.watchErrors,
        real_time_protection_after_write: (this.afterWrite?.stats() ?? null) as unknown as Record<string, unknown>,
      },
    };
  }

  async stop(): Promise<void> {
    await this.close('shutdown');
  }
}

// src/rtp/select.ts — which real-time backend runs, and why (rule 5: no silent fallback).
// --rtp-backend none: none. fanotify: fanotify or nothing (with a health issue). chokidar:
// chokidar. auto: fanotify when a group opens (CAP_SYS_ADMIN, kernel support), else chokidar
// with the reason. chokidar watches the RTP paths, or by default /tmp and ~/Downloads (plus,
// as root, /var/tmp, /dev/shm and every /home/*/Downloads) — whichever exist.
// Owns: the choice and its reason. Must not: start monitoring (the runtime does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RtpBackendChoice } from '../daemon/options.js';
import type { NativeBinding } from '../shared/native.js';
import { ChokidarBackend } from './chokidar/backend.js';
import { FanotifyBackend, probeFanotify } from './fanotify/backend.js';
import type { RtpPipeline } from './pipeline.js';
import type { RtpBackend } from './types.js';

export interface SelectOptions {
  choice: RtpBackendChoice;
  paths: string[];
  pipeline: RtpPipeline;
  queueCapacity: number;
  neverWatch: string[];
  binding?: NativeBinding;
  isRoot?: boolean;
  home?: string;
}

export interface Selection {
  backend: RtpBackend | null;
  /** Why this backend (or none). */
  reason: string;
  /** Set when the administrator's explicit choice could not be honoured. */
  issue: string | null;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Default chokidar paths when no --rtp-path is given. */
export function defaultWatchPaths(isRoot: boolean, home: string): string[] {
  const out = ['/tmp', path.join(home, 'Downloads')];
  if (isRoot) {
    out.push('/var/tmp', '/dev/shm');
    try {
      for (const u of fs.readdirSync('/home')) out.push(path.join('/home', u, 'Downloads'));
    } catch {
      // no /home
    }
  }
  return [...new Set(out)].filter(isDir);
}

export function selectBackend(o: SelectOptions): Selection {
  const isRoot = o.isRoot ?? process.getuid?.() === 0;
  const chokidar = (reason: string): Selection => {
    const paths = o.paths.length ? o.paths : defaultWatchPaths(isRoot, o.home ?? os.homedir());
    return { backend: new ChokidarBackend({ pipeline: o.pipeline, paths, neverWatch: o.neverWatch }), reason, issue: paths.length ? null : 'real-time protection (chokidar) has no path to watch: give --rtp-path' };
  };
  const fanotify = (reason: string): Selection => ({
    backend: new FanotifyBackend({ pipeline: o.pipeline, paths: o.paths, queueCapacity: o.queueCapacity, ...(o.binding ? { binding: o.binding } : {}) }),
    reason,
    issue: null,
  });
  switch (o.choice) {
    case 'none':
      return { backend: null, reason: 'real-time protection is off: --rtp-backend none', issue: null };
    case 'chokidar':
      return chokidar('chosen with --rtp-backend chokidar: threats are detected after writes, not blocked');
    case 'fanotify': {
      const p = probeFanotify(o.binding);
      if (p.ok) return fanotify('chosen with --rtp-backend fanotify');
      return { backend: null, reason: `--rtp-backend fanotify was requested but fanotify is unavailable: ${p.reason}`, issue: `real-time protection is unavailable: ${p.reason}` };
    }
    case 'auto': {
      const p = probeFanotify(o.binding);
      if (p.ok) return fanotify('auto: fanotify permission events are available');
      return chokidar(`auto: fanotify is unavailable (${p.reason}); using chokidar (inotify): threats are detected after writes, not blocked`);
    }
  }
}

// src/shared/native.ts — loads the native addon (build/Release/wdav.node) and types its surface.
// Components never import the addon directly: they receive a NativeBinding through the daemon
// context, so tests can inject a different binding. Must not: wrap behaviour, only load + type.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from './paths.js';

export interface NativeFeatures {
  fanotify: boolean;
  vectorscan: boolean;
  /** hs_version() when built with libhs. */
  vectorscanVersion?: string;
  /** libyara is a required build dependency: true in every addon built from this tree. */
  yara?: boolean;
  yaraVersion?: string;
}

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export interface NativeBinding {
  features: NativeFeatures;
  peerCred(fd: number): PeerCredentials;
  /** Supplementary groups of a Unix-socket peer as recorded when it connected (SO_PEERGROUPS). */
  peerGroups(fd: number): number[];
  /** RLIMIT_NOFILE of this process (Infinity when unlimited). */
  nofileLimit(): { soft: number; hard: number };
  sdNotify(socketPath: string, state: string): void;
  /** Ends the process with _exit(code) after `ms`, from a native thread (the shutdown's last resort). */
  armExitWatchdog?(ms: number, code: number): void;
  // Sections added by the fanotify core and the pattern matcher are typed in their own
  // modules (src/rtp/fanotify/native.ts, src/engine/patterns/binding.ts) and read from here.
  [key: string]: unknown;
}

let loaded: NativeBinding | undefined;

export function loadNative(): NativeBinding {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = require(path.join(packageRoot(), 'build', 'Release', 'wdav.node')) as NativeBinding;
  }
  return loaded;
}

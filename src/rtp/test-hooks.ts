// src/rtp/test-hooks.ts — a test-only way to freeze the daemon's JavaScript thread, so tests
// can prove that the native reader answers the kernel alone when JS is stuck (deadline →
// default response, nothing left blocked). It exists ONLY when the daemon starts with
// WDAV_TEST_HOOKS=1: then SIGUSR2 blocks the JS thread for WDAV_TEST_STALL_MS milliseconds
// (default 3000, at most 60000), or until the file WDAV_TEST_STALL_RELEASE (when set) exists.
// Without the variable no handler is installed and SIGUSR2 keeps Node's default action.
// Documented in docs/real-time-protection.md.
// Owns: that handler. Must not: be reachable in production configurations.
import fs from 'node:fs';
import type { Logger } from '../shared/logger.js';

export function testHooksEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WDAV_TEST_HOOKS === '1';
}

export function stallMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.WDAV_TEST_STALL_MS ?? 3000);
  return Number.isFinite(v) ? Math.min(60_000, Math.max(0, Math.floor(v))) : 3000;
}

/** Installs the SIGUSR2 stall when enabled; returns an uninstall function (or null). */
export function installTestHooks(logger: Logger<'verbose'>, env: NodeJS.ProcessEnv = process.env): (() => void) | null {
  if (!testHooksEnabled(env)) return null;
  const onSignal = (): void => {
    const ms = stallMs(env);
    logger.warn({ ms }, 'test hook: stalling the JavaScript thread (WDAV_TEST_HOOKS=1, SIGUSR2)');
    // Atomics.wait blocks this thread outright: no timers, no I/O callbacks, no fanotify batches.
    const cell = new Int32Array(new SharedArrayBuffer(4));
    const release = env.WDAV_TEST_STALL_RELEASE;
    const end = Date.now() + ms;
    while (Date.now() < end && !(release && fs.existsSync(release))) Atomics.wait(cell, 0, 0, Math.min(10, Math.max(1, end - Date.now())));
    logger.warn({ ms }, 'test hook: JavaScript thread resumed');
  };
  process.on('SIGUSR2', onSignal);
  logger.warn('test hooks are enabled (WDAV_TEST_HOOKS=1): never use this in production');
  return () => process.off('SIGUSR2', onSignal);
}

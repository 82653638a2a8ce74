// src/rtp/test-hooks.ts — a test-only way to freeze the daemon's JavaScript thread, so tests
// can prove that the native reader answers the kernel alone when JS is stuck (deadline →
// default response, nothing left blocked). It exists ONLY when the daemon starts with
// WDAV_TEST_HOOKS=1: then SIGUSR2 busy-waits WDAV_TEST_STALL_MS milliseconds (default 3000,
// at most 60000) on the JS thread. Without the variable no handler is installed and SIGUSR2
// keeps Node's default action. Documented in docs/real-time-protection.md.
// Owns: that handler. Must not: be reachable in production configurations.
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
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    logger.warn({ ms }, 'test hook: JavaScript thread resumed');
  };
  process.on('SIGUSR2', onSignal);
  logger.warn('test hooks are enabled (WDAV_TEST_HOOKS=1): never use this in production');
  return () => process.off('SIGUSR2', onSignal);
}

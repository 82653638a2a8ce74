// src/daemon/stage-hooks.ts — what a stage hangs on components it does not own (health
// providers, diagnostic sections, configuration and other listeners), recorded as it is added so
// the stage's stop removes exactly those and a stopped stage leaves nothing behind that would
// still call into it. Owns: that record only.
import type { EventEmitter } from 'node:events';
import type { SettingId } from '../config/managed-keys.js';
import type { HealthProvider } from './health.js';
import type { Core } from './services.js';

export class StageHooks {
  private readonly undo: (() => void)[] = [];

  constructor(private readonly core: Pick<Core, 'health' | 'diagnostics' | 'config'>) {}

  health(name: string, provider: HealthProvider): this {
    this.core.health.register(name, provider);
    this.undo.push(() => this.core.health.unregister(name));
    return this;
  }

  /** A section of `mdatp diagnostic create`, by file name inside the archive. */
  diagnostic(name: string, section: () => unknown): this {
    this.core.diagnostics.set(name, section);
    this.undo.push(() => this.core.diagnostics.delete(name));
    return this;
  }

  /** Calls `fn` after a change of the effective configuration that touches one of `ids` (any, when omitted). */
  onSettings(fn: (changed: SettingId[]) => void, ids?: readonly SettingId[]): this {
    return this.on(this.core.config, 'change', (changed: SettingId[]) => {
      if (!ids || changed.some((c) => ids.includes(c))) fn(changed);
    });
  }

  on<A extends unknown[]>(emitter: EventEmitter, event: string, fn: (...args: A) => void): this {
    const listener = fn as (...args: unknown[]) => void;
    emitter.on(event, listener);
    this.undo.push(() => emitter.off(event, listener));
    return this;
  }

  /** Any other undo step (a test hook, a timer), run with the rest at remove(). */
  add(undo: () => void): this {
    this.undo.push(undo);
    return this;
  }

  /** Removes everything added, newest first; a second call does nothing. */
  remove(): void {
    while (this.undo.length) this.undo.pop()!();
  }
}

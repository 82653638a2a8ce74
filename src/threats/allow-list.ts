// src/threats/allow-list.ts — the local allow list as the scanners ask it: threat names
// (`mdatp threat allowed add --name`) and sha256 of files restored from quarantine, answered
// from memory. The table is small and read on every detection, written rarely; any write
// drops the cache and the next question reloads it, so a rolled-back transaction can never
// leave the cache ahead of the database. Owns the cache. Must not: decide policy.
import type { AllowedKind, AllowedRow, AllowedStore } from '../store/allowed.js';

export class AllowList {
  private cache: { names: Set<string>; hashes: Set<string> } | null = null;

  constructor(private readonly store: AllowedStore) {}

  private sets(): { names: Set<string>; hashes: Set<string> } {
    if (!this.cache) {
      const names = new Set<string>();
      const hashes = new Set<string>();
      for (const r of this.store.all()) (r.kind === 'name' ? names : hashes).add(r.value);
      this.cache = { names, hashes };
    }
    return this.cache;
  }

  hasName(name: string): boolean {
    return this.sets().names.has(name);
  }

  hasHash(sha256: string): boolean {
    return this.sets().hashes.has(sha256.toLowerCase());
  }

  add(kind: AllowedKind, value: string, detail: string | null = null): boolean {
    this.cache = null;
    return this.store.add(kind, kind === 'sha256' ? value.toLowerCase() : value, detail);
  }

  remove(kind: AllowedKind, value: string): boolean {
    this.cache = null;
    return this.store.remove(kind, kind === 'sha256' ? value.toLowerCase() : value);
  }

  /** Removes an entry only if it still carries `detail` (undoes our own add, not an admin's). */
  removeIfDetail(kind: AllowedKind, value: string, detail: string): void {
    const row = this.store.all().find((r) => r.kind === kind && r.value === value);
    if (row && row.detail === detail) this.remove(kind, value);
  }

  list(): AllowedRow[] {
    return this.store.all();
  }

  invalidate(): void {
    this.cache = null;
  }
}

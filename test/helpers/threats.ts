// test/helpers/threats.ts — a real ThreatService on a real SQLite file in a temp state dir,
// with real files to detect, for in-process tests and for seeding a daemon's state dir while
// the daemon is stopped (the same code path the scanners use: ThreatService.handle).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigService } from '../../src/config/service.js';
import { LoggerFactory } from '../../src/shared/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { SettingsStore } from '../../src/store/settings.js';
import { ExclusionsStore } from '../../src/store/exclusions.js';
import { ThreatService } from '../../src/threats/service.js';
import type { DetectionEvent } from '../../src/threats/types.js';
import type { StorageReporter } from '../../src/store/storage-health.js';

export interface Rec {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface ThreatEnv {
  dir: string;
  stateDir: string;
  files: string;
  db: Db;
  config: ConfigService;
  svc: ThreatService;
  logs: Rec[];
  managedFile: string;
  setManaged(doc: unknown): void;
  close(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function openThreatEnv(t: Teardown | null, o: { stateDir?: string; managed?: unknown; storage?: StorageReporter } = {}): Promise<ThreatEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-threats-'));
  const stateDir = o.stateDir ?? path.join(dir, 'state');
  const files = path.join(dir, 'files');
  fs.mkdirSync(files, { recursive: true });
  const managedFile = path.join(dir, 'managed.json');
  if (o.managed !== undefined) fs.writeFileSync(managedFile, JSON.stringify(o.managed));
  const logs: Rec[] = [];
  const factory = new LoggerFactory({ level: 'debug', priorityPrefix: false, destination: { write: (l: string) => void logs.push(JSON.parse(l) as Rec) } });
  const config = new ConfigService({ managedFile, logger: factory.child('config'), pollIntervalMs: 50 });
  config.load();
  const opened = openDatabase(stateDir, factory.child('store'));
  const settings = new SettingsStore(opened.db);
  config.start({ settings, exclusions: new ExclusionsStore(opened.db) });
  const svc = await ThreatService.open({ db: opened.db, stateDir, config, localSettings: settings, logger: factory.child('threats'), ...(o.storage ? { storage: o.storage } : {}) });
  let closed = false;
  const env: ThreatEnv = {
    dir,
    stateDir,
    files,
    db: opened.db,
    config,
    svc,
    logs,
    managedFile,
    setManaged(doc) {
      fs.writeFileSync(managedFile, JSON.stringify(doc));
      config.reloadManaged();
      config.refresh();
    },
    async close() {
      if (closed) return;
      closed = true;
      await svc.stop();
      config.stop();
      opened.db.close();
    },
  };
  t?.teardown(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return env;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes a file with distinct content and answers its path and bytes. */
export function makeFile(dir: string, name: string, content?: Buffer | string, mode = 0o644): { path: string; data: Buffer } {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const data = Buffer.from(content ?? `X5O!P%@AP[4\\PZX54(P^)7CC)7}$ test payload ${name} ${Math.random()}\n`);
  fs.writeFileSync(p, data, { mode });
  fs.chmodSync(p, mode);
  return { path: p, data };
}

export function detection(p: string, over: Partial<DetectionEvent> = {}): DetectionEvent {
  return { name: 'Virus:DOS/EICAR_Test_File', threatType: 'virus', path: p, source: 'on_demand', blocked: false, engine: 'hash', ...over };
}

/** The record fields of the structured events with this name. */
export function events(logs: Rec[], name: string): Rec[] {
  return logs.filter((r) => r.event === name);
}

/**
 * Seeds a daemon's state dir (the daemon must be stopped) by handing detections of real files
 * to ThreatService.handle, as the scanners do; answers the threat ids in order.
 */
export async function seedThreats(stateDir: string, evs: DetectionEvent[], managed?: unknown): Promise<string[]> {
  const env = await openThreatEnv(null, { stateDir, ...(managed !== undefined ? { managed } : {}) });
  try {
    const ids: string[] = [];
    for (const ev of evs) ids.push((await env.svc.handle(ev)).threatId ?? '');
    return ids;
  } finally {
    await env.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  }
}

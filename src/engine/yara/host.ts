// src/engine/yara/host.ts — the main-thread side of the YARA-X worker (worker-source.ts):
// starts it, loads rule units, sends buffers to scan (transferring them when they own their
// memory, so a 30 MB file is not copied) and matches replies to requests.
// Owns: the worker's lifetime. Must not: read files or decide verdicts.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { WdavError } from '../../shared/errors.js';
import { YARA_WORKER_SOURCE } from './worker-source.js';

export interface YaraUnit {
  file: string;
  source: string;
  /** One independent rule per line (translated body signatures). */
  perLine?: boolean;
}

export interface YaraCompileError {
  file: string;
  line?: number;
  message: string;
}

export interface YaraRuleMatch {
  rule: string;
  meta: Record<string, unknown>;
}

type Reply = { id: number; errors?: YaraCompileError[]; loaded?: number; fatal?: string; matches?: YaraRuleMatch[]; error?: string };

export class YaraHost {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private dead: Error | undefined;

  private constructor() {
    const modulePath = createRequire(import.meta.url).resolve('@litko/yara-x');
    this.worker = new Worker(YARA_WORKER_SOURCE, { eval: true, workerData: { modulePath } });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      p.resolve(r);
    });
    const fail = (e: Error): void => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(new WdavError('WDAV_ERR_INTERNAL', `YARA-X worker failed: ${e.message}`)));
    this.worker.on('exit', () => fail(new WdavError('WDAV_ERR_INTERNAL', 'YARA-X worker exited')));
  }

  /** Starts a worker and compiles `units` in it; units that fail are reported, not fatal. */
  static async start(units: YaraUnit[]): Promise<{ host: YaraHost; errors: YaraCompileError[]; loaded: number }> {
    const host = new YaraHost();
    try {
      const r = await host.request({ op: 'load', units });
      if (r.fatal) throw new WdavError('WDAV_ERR_DEFINITIONS_INVALID', `YARA-X: ${r.fatal}`);
      return { host, errors: r.errors ?? [], loaded: r.loaded ?? 0 };
    } catch (e) {
      await host.close();
      throw e;
    }
  }

  private request(msg: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * Scans `data`. With `transfer`, a buffer that owns its whole ArrayBuffer is moved to the
   * worker (and becomes unusable here) instead of copied.
   */
  async scan(data: Buffer, transfer = false): Promise<YaraRuleMatch[]> {
    const owns = transfer && data.byteOffset === 0 && data.buffer.byteLength === data.length && data.buffer instanceof ArrayBuffer;
    // Otherwise one copy into a fresh buffer, which is then moved (not cloned a second time).
    const view = owns ? new Uint8Array(data.buffer as ArrayBuffer) : new Uint8Array(data);
    const r = await this.request({ op: 'scan', data: view }, [view.buffer as ArrayBuffer]);
    if (r.error !== undefined) throw new WdavError('WDAV_ERR_INTERNAL', `YARA-X scan failed: ${r.error}`);
    return r.matches ?? [];
  }

  async close(): Promise<void> {
    this.dead ??= new WdavError('WDAV_ERR_UNAVAILABLE', 'YARA-X worker closed');
    await this.worker.terminate();
  }
}

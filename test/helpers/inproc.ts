// test/helpers/inproc.ts — the daemon built in the test's own process by the composition root
// (createDaemon, src/daemon/create.ts) with the real native binding, database, scanner process
// and socket, called through Fastify inject(): no daemon process to spawn, no HTTP round trip.
// Who calls is given per request (inject has no peer to ask the kernel about); what a real
// connection's credentials decide is tested end to end in test/integration/api-authz*.
// Log records are collected in `logs`. Always stopped through t.teardown.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { createDaemon, type RunningDaemon } from '../../src/daemon/create.js';
import { parseDaemonOptions } from '../../src/daemon/options.js';
import { LoggerFactory } from '../../src/shared/logger.js';
import { loadNative } from '../../src/shared/native.js';
import { Authorizer, type Caller, type CallerSource, type Role } from '../../src/api/authz.js';
import { runMdatp, type LogRecord, type MdatpResult } from './daemon.js';
import type { SpawnOptions } from 'node:child_process';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface InProcOptions {
  managed?: unknown;
  /** More wdavdaemon options (the socket, state and definitions paths are the helper's). */
  args?: string[];
  /** Another control socket path than the helper's own. */
  socket?: string;
  /** A directory of the test's (state seeded beforehand); kept at the end. Default: a new one, removed. */
  dir?: string;
}

export interface As {
  role?: Role;
  uid?: number;
  gid?: number;
}

/**
 * inject() carries the caller in remoteAddress ("role:uid:gid"); only this helper reads it. A real
 * connection on the socket (mdatp run by the test) is asked about as the daemon would.
 */
class InjectedCallers implements CallerSource {
  constructor(private readonly kernel: Authorizer) {}
  get groupId(): number | null {
    return this.kernel.groupId;
  }
  identify(socket: Socket): Caller {
    if (typeof (socket as unknown as { _handle?: { fd?: number } })._handle?.fd === 'number') return this.kernel.identify(socket);
    const [role, uid, gid] = String(socket.remoteAddress ?? '').split(':');
    const r: Role = role === 'admin' || role === 'reader' ? role : 'none';
    return { pid: process.pid, uid: Number(uid ?? -1), gid: Number(gid ?? -1), groups: [], role: r };
  }
  caller(socket: Socket): Caller {
    return this.identify(socket);
  }
  refresh(): void {
    this.kernel.refresh();
  }
}

export class InProcDaemon {
  readonly logs: LogRecord[] = [];
  d!: RunningDaemon;
  readonly socket: string;
  readonly stateDir: string;
  readonly managedFile: string;
  readonly customDefs: string;

  /** The daemon the last start() built, also when its startup failed (for its logs). */
  static last: InProcDaemon | null = null;

  private constructor(readonly dir: string, socket?: string) {
    this.socket = socket ?? path.join(dir, 'run', 'mdatp.sock');
    this.stateDir = path.join(dir, 'state');
    this.managedFile = path.join(dir, 'managed.json');
    this.customDefs = path.join(dir, 'definitions.d');
  }

  static async start(t: Teardown, o: InProcOptions = {}): Promise<InProcDaemon> {
    const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-inproc-'));
    const me = new InProcDaemon(dir, o.socket);
    InProcDaemon.last = me;
    fs.mkdirSync(me.customDefs, { recursive: true });
    if (o.managed !== undefined) me.writeManaged(o.managed);
    t.teardown(async () => {
      await me.d?.stop('test done');
      if (!o.dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    const options = parseDaemonOptions([
      '--socket', me.socket,
      '--state-dir', me.stateDir,
      '--managed-config', me.managedFile,
      '--custom-definitions', me.customDefs,
      '--rtp-backend', 'none',
      ...(o.args ?? []),
    ]);
    const logs = new LoggerFactory({
      level: options.logLevel ?? 'info',
      destination: {
        write: (line: string) => {
          for (const l of line.split('\n')) {
            if (!l) continue;
            try {
              me.logs.push(JSON.parse(l.replace(/^<\d>/, '')) as LogRecord);
            } catch {
              // not a record
            }
          }
        },
      },
    });
    const native = loadNative();
    me.build = () => createDaemon(options, { native, logs, callers: new InjectedCallers(new Authorizer(native, 'mdatp')) });
    me.d = await me.build();
    return me;
  }

  private build!: () => Promise<RunningDaemon>;

  /** Stops the daemon and starts it again on the same state, socket and configuration. */
  async restart(): Promise<void> {
    await this.d.stop('restart');
    this.logs.splice(0);
    this.d = await this.build();
  }

  /** Runs mdatp against this daemon's socket. */
  mdatp(args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<MdatpResult> {
    return runMdatp(['--socket', this.socket, ...args], opts);
  }

  get services() {
    return this.d.services;
  }

  writeManaged(doc: unknown): void {
    const tmp = `${this.managedFile}.tmp`;
    fs.writeFileSync(tmp, typeof doc === 'string' ? doc : JSON.stringify(doc));
    fs.renameSync(tmp, this.managedFile);
  }

  /** A request as `as` (default: root, the admin role). */
  async api(method: string, url: string, body?: unknown, as: As = {}): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
    const role = as.role ?? 'admin';
    const uid = as.uid ?? (role === 'admin' ? 0 : 1000);
    const gid = as.gid ?? uid;
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const res = await this.d.api.inject({
      method: method as 'GET',
      url,
      remoteAddress: `${role}:${uid}:${gid}`,
      ...(payload !== undefined ? { payload, headers: { 'content-type': 'application/json' } } : {}),
    });
    let json: unknown = res.body;
    try {
      json = JSON.parse(res.body);
    } catch {
      // keep text
    }
    return { status: res.statusCode, json, headers: res.headers };
  }

  /** Resolves when a log record matching `pred` appears (or rejects after timeoutMs). */
  async waitForLog(pred: (r: LogRecord) => boolean, timeoutMs = 15_000): Promise<LogRecord> {
    const t0 = Date.now();
    for (;;) {
      const hit = this.logs.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for a log record; last: ${JSON.stringify(this.logs.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

// test/helpers/daemon.ts — starts a real wdavdaemon (dist/, as users run it) as a child process
// on a temp socket and state dir, waits until it is ready, runs mdatp against it, and always
// cleans up through t.teardown. Log records are parsed from the daemon's stdout.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DAEMON_BIN = path.join(ROOT, 'bin', 'wdavdaemon.js');
export const MDATP_BIN = path.join(ROOT, 'bin', 'mdatp.cjs');
export const isRoot = process.getuid?.() === 0;

export interface LogRecord {
  level: number;
  msg: string;
  component?: string;
  [k: string]: unknown;
}

export interface TestDaemonOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  managed?: unknown;
  /** Directory used as state dir / socket dir root; created when absent. */
  dir?: string;
  rtpBackend?: 'auto' | 'fanotify' | 'chokidar' | 'none';
  waitReady?: boolean;
  /** A command the daemon runs under, e.g. ['prlimit', '--nofile=256:256', '--'] (node and its arguments follow). */
  launcher?: string[];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export class TestDaemon {
  proc!: ChildProcess;
  readonly logs: LogRecord[] = [];
  readonly previousLogs: LogRecord[] = [];
  readonly rawOut: string[] = [];
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private exited!: Promise<void>;
  private buf = '';

  constructor(
    readonly dir: string,
    readonly socket: string,
    readonly stateDir: string,
    readonly managedFile: string,
    readonly customDefs: string,
  ) {}

  static async start(t: Teardown, o: TestDaemonOptions = {}): Promise<TestDaemon> {
    const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-test-'));
    fs.mkdirSync(dir, { recursive: true });
    const d = new TestDaemon(dir, path.join(dir, 'run', 'mdatp.sock'), path.join(dir, 'state'), path.join(dir, 'managed.json'), path.join(dir, 'definitions.d'));
    fs.mkdirSync(d.customDefs, { recursive: true });
    if (o.managed !== undefined) d.writeManaged(o.managed);
    t.teardown(async () => {
      await d.stop();
      if (!o.dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    d.spawn(o);
    if (o.waitReady !== false) await d.ready();
    return d;
  }

  spawn(o: TestDaemonOptions = {}): void {
    // Records of an earlier run stay in `previousLogs`; waits look at this run only.
    this.previousLogs.push(...this.logs.splice(0));
    this.exitCode = null;
    this.exitSignal = null;
    const args = [
      DAEMON_BIN,
      '--socket', this.socket,
      '--state-dir', this.stateDir,
      '--managed-config', this.managedFile,
      '--custom-definitions', this.customDefs,
      '--rtp-backend', o.rtpBackend ?? 'none',
      ...(o.args ?? []),
    ];
    const node = nodeCommand(args);
    const [cmd, argv] = o.launcher?.length ? [o.launcher[0]!, [...o.launcher.slice(1), node[0], ...node[1]]] : node;
    this.proc = spawn(cmd, argv, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.rawOut.push(line);
        const json = line.replace(/^<\d>/, '');
        try {
          this.logs.push(JSON.parse(json) as LogRecord);
        } catch {
          // not a log record
        }
      }
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  writeManaged(doc: unknown): void {
    const tmp = `${this.managedFile}.tmp`;
    fs.writeFileSync(tmp, typeof doc === 'string' ? doc : JSON.stringify(doc));
    fs.renameSync(tmp, this.managedFile);
  }

  /** Resolves when a log record matching `pred` appears (or rejects after timeoutMs). */
  async waitForLog(pred: (r: LogRecord) => boolean, timeoutMs = 15_000): Promise<LogRecord> {
    const t0 = Date.now();
    for (;;) {
      const hit = this.logs.find(pred);
      if (hit) return hit;
      if (this.exitCode !== null || this.exitSignal !== null) throw new Error(`daemon exited (${this.exitCode ?? this.exitSignal}) before the expected log; stderr: ${this.stderr}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for a log record; last: ${this.rawOut.slice(-5).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  ready(timeoutMs = 30_000): Promise<LogRecord> {
    return this.waitForLog((r) => r.msg === 'wdavdaemon is ready', timeoutMs);
  }

  waitExit(timeoutMs = 30_000): Promise<void> {
    return Promise.race([this.exited, new Promise<void>((_, rej) => setTimeout(() => rej(new Error('daemon did not exit in time')), timeoutMs).unref())]);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.proc || this.exitCode !== null || this.exitSignal !== null) return;
    this.proc.kill(signal);
    try {
      await this.waitExit(35_000);
    } catch {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  async kill(): Promise<void> {
    if (this.exitCode !== null || this.exitSignal !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Runs mdatp against this daemon. */
  mdatp(args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<MdatpResult> {
    return runMdatp(['--socket', this.socket, ...args], opts);
  }

  /** GET/PUT/... on the API with curl-like semantics, as the test process (root). */
  async api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: any }> {
    const http = await import('node:http');
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
      const req = http.request({ socketPath: this.socket, method, path: urlPath, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // keep text
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}

export interface MdatpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for a child that runs as another user: without tap's coverage and
 * process-info hooks, which would try to write into the root-owned .tap/ folder.
 */
export function foreignUserEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k === 'NODE_OPTIONS' || k === 'NODE_V8_COVERAGE' || /^_?TAP/i.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Command and arguments that run node as another user. tap injects its process-info hook
 * into NODE_OPTIONS of every child it sees spawned; `env -u` drops it before node starts.
 */
export function foreignNode(nodeArgs: string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, ...nodeArgs]];
}

/** Is tap collecting coverage (`npm run coverage`), so children should report theirs? */
export const collectingCoverage = process.env._TAPJS_PROCESSINFO_COVERAGE_ === '1';

/**
 * Command and arguments that run node for a daemon child: without tap's hooks unless coverage is
 * being collected (the hooks and the coverage dump at exit cost each child ~200 ms).
 */
export function nodeCommand(nodeArgs: string[]): [string, string[]] {
  return collectingCoverage ? [process.execPath, nodeArgs] : foreignNode(nodeArgs);
}

export function runMdatp(args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<MdatpResult> {
  return new Promise((resolve, reject) => {
    const foreign = opts.uid !== undefined && opts.uid !== process.getuid?.();
    // mdatp is a bundle (bin/mdatp.cjs) that coverage cannot map back to the sources: never hooked.
    const [cmd, argv] = foreignNode([MDATP_BIN, ...args]);
    const p = spawn(cmd, argv, { ...opts, env: opts.env ?? (foreign ? foreignUserEnv() : process.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    p.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin!.end(opts.input);
  });
}

/** Parses MDE's `name : value` text output into an object of raw value strings. */
export function parseFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+: (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Calls `fn` every 100 ms until `ok` holds of its answer or `ms` passed; answers the last value. */
export async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() - t0 > ms) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

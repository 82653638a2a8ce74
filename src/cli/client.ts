// src/cli/client.ts — mdatp's connection to the daemon: JSON over HTTP on the Unix socket.
// Turns every failure into a CliError with one clear line (which socket, what went wrong).
// Owns transport only. Must not: format output.
import http from 'node:http';
import { defaultSocketPath } from '../shared/paths.js';
import { CliError } from './cli-error.js';

export { CliError };

// Plain HTTP on a Unix socket has no TLS server name. Saying so ('' = none) keeps node's agent
// from computing one with net.isIP('localhost'), whose first call compiles a large IPv6 regular
// expression: 5-8 ms of every mdatp call on a small machine.
const NO_SERVERNAME = { servername: '' };

export function resolveSocket(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.MDATP_SOCKET || defaultSocketPath();
}

export interface RequestOptions {
  timeoutMs?: number;
}

export class Client {
  constructor(readonly socketPath: string) {}

  request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          ...NO_SERVERNAME,
          socketPath: this.socketPath,
          method,
          path,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
          timeout: opts.timeoutMs ?? 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {
              return reject(new CliError(`unexpected response from the daemon (HTTP ${res.statusCode})`, 'WDAV_ERR_INTERNAL'));
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = json as { code?: string; message?: string } | null;
              return reject(new CliError(e?.message ?? `HTTP ${res.statusCode}`, e?.code ?? 'WDAV_ERR_INTERNAL'));
            }
            resolve(json as T);
          });
          res.on('error', (e) => reject(this.transportError(e as NodeJS.ErrnoException)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(this.transportError(e as NodeJS.ErrnoException)));
      req.end(payload);
    });
  }

  /** Opens a streaming request (NDJSON); returns the response for the caller to read. */
  stream(method: string, path: string, body?: unknown): Promise<http.IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        { ...NO_SERVERNAME, socketPath: this.socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} },
        (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              let e: { code?: string; message?: string } | null = null;
              try {
                e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                // fall through to the generic message
              }
              reject(new CliError(e?.message ?? `HTTP ${res.statusCode}`, e?.code ?? 'WDAV_ERR_INTERNAL'));
            });
            return;
          }
          resolve(res);
        },
      );
      req.on('error', (e) => reject(this.transportError(e as NodeJS.ErrnoException)));
      req.end(payload);
    });
  }

  private transportError(e: NodeJS.ErrnoException): CliError {
    const where = `wdavdaemon at ${this.socketPath}`;
    switch (e.code) {
      case 'ENOENT':
        return new CliError(`Cannot connect to ${where}: no such socket (is the daemon running?)`, 'WDAV_ERR_DAEMON_UNREACHABLE');
      case 'ECONNREFUSED':
        return new CliError(`Cannot connect to ${where}: connection refused (is the daemon running?)`, 'WDAV_ERR_DAEMON_UNREACHABLE');
      case 'EACCES':
      case 'EPERM':
        return new CliError(`Cannot connect to ${where}: permission denied (run as root or as a member of the mdatp group)`, 'WDAV_ERR_FORBIDDEN');
      case 'ETIMEDOUT':
        return new CliError(`No answer from ${where} in time`, 'WDAV_ERR_DAEMON_UNREACHABLE');
      case 'ECONNRESET':
      case 'EPIPE':
        return new CliError(`Connection to ${where} was closed unexpectedly`, 'WDAV_ERR_DAEMON_UNREACHABLE');
      default:
        return new CliError(`Cannot talk to ${where}: ${e.message}`, 'WDAV_ERR_DAEMON_UNREACHABLE');
    }
  }
}

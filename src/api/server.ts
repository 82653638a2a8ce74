// src/api/server.ts — the control socket: refuses to start when another daemon answers on the
// same path, removes a stale socket file left by a crash, listens with mode 0660 and the
// reader group. Owns the socket file. Must not: know routes.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { WdavError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Api } from './app.js';

/** Resolves true when something accepts connections on the socket path. */
export function socketIsLive(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(true)); // accepted but silent: still someone's socket
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface ListenOptions {
  socketPath: string;
  mode: number;
  groupId: number | null;
  logger: Logger<'verbose'>;
}

export async function listenOnSocket(app: Api, o: ListenOptions): Promise<void> {
  const dir = path.dirname(o.socketPath);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(o.socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (st) {
    if (!st.isSocket()) {
      throw new WdavError('WDAV_ERR_CONFLICT', `${o.socketPath} exists and is not a socket; refusing to replace it`);
    }
    if (await socketIsLive(o.socketPath)) {
      throw new WdavError('WDAV_ERR_DAEMON_RUNNING', `another wdavdaemon is already running on ${o.socketPath}`);
    }
    o.logger.warn({ socket: o.socketPath }, 'removing stale socket left by a previous daemon');
    fs.unlinkSync(o.socketPath);
  }
  // Create the socket with no access for others, then widen to the configured mode: there is
  // no instant at which a wider mode than intended applies.
  const oldMask = process.umask(0o177);
  try {
    await app.listen({ path: o.socketPath });
  } finally {
    process.umask(oldMask);
  }
  if (o.groupId !== null) {
    try {
      fs.chownSync(o.socketPath, process.getuid?.() ?? 0, o.groupId);
    } catch (e) {
      o.logger.warn({ socket: o.socketPath, gid: o.groupId, err: (e as Error).message }, 'cannot give the socket to the reader group');
    }
  }
  fs.chmodSync(o.socketPath, o.mode);
}

export function removeSocket(socketPath: string): void {
  try {
    if (fs.lstatSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
  } catch {
    // already gone
  }
}

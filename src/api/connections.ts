// src/api/connections.ts — who may hold a connection to the control socket, and for how long.
// Each connection is identified once, when it is accepted (Authorizer.identify: SO_PEERCRED and
// SO_PEERGROUPS), before HTTP parses a byte of it. A caller without a role is refused at once;
// administrators (root, the daemon's uid) have slots of their own nobody else can take;
// everyone else shares a total cap and a cap per uid. A refused connection gets one coded
// HTTP answer and is closed; refusals are counted, and logged at most once per interval per
// reason. Timeouts cut silent and slow clients: the request head, the whole request, idle
// keep-alive, and an idle socket — unless a handler is still working on its answer (an update
// download, a connectivity test: they have time limits of their own).
// Owns: admission, the connection counts, the server's timeouts. Must not: know routes or read
// settings (limits are handed in).
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WdavError } from '../shared/errors.js';
import { RateLimitedLog, type Logger } from '../shared/logger.js';
import { NO_ROLE } from './app.js';
import type { CallerSource, Caller } from './authz.js';

export interface ConnectionLimits {
  /** Connections of administrators (root, the daemon's uid), apart from everyone else's. */
  admin: number;
  /** Connections of everyone else together. */
  total: number;
  /** Connections of one uid other than an administrator. */
  perUid: number;
}

export const TIMEOUTS = {
  /** Connection accepted → request head complete (a silent or dribbling client). */
  headersMs: 5_000,
  /** Request head → request complete (bodies are at most 1 MiB from a local client). */
  requestMs: 30_000,
  /** Idle between requests on a kept-alive connection (Node adds 1 s). */
  keepAliveMs: 5_000,
  /** No byte in either direction while no handler is working (e.g. a reader that stopped reading a response). */
  idleMs: 60_000,
  /** How often Node checks the head and request deadlines. */
  checkEveryMs: 1_000,
};

/** Refusals still sending their answer at most; beyond that a refused connection is closed without one. */
export const REFUSING_MAX = 32;
const REFUSAL_LINGER_MS = 1_000;

type Reason = 'forbidden' | 'unidentified' | 'admin' | 'total' | 'perUid';

export interface ConnectionStats {
  active: { admin: number; other: number };
  maxActive: { admin: number; other: number };
  accepted: number;
  refused: Record<Reason, number>;
  limits: ConnectionLimits;
  timeoutsMs: { headers: number; request: number; keepAlive: number; idle: number };
}

export class ConnectionGate {
  private admin = 0;
  private other = 0;
  private readonly perUid = new Map<number, number>();
  private readonly maxActive = { admin: 0, other: 0 };
  private accepted = 0;
  private refusing = 0;
  private readonly refused: Record<Reason, number> = { forbidden: 0, unidentified: 0, admin: 0, total: 0, perUid: 0 };
  private readonly responses = new WeakMap<Socket, ServerResponse>();
  private readonly rate = new RateLimitedLog(10_000, 16);

  constructor(
    private readonly authz: CallerSource,
    private readonly log: Logger<'verbose'>,
    private limits: ConnectionLimits,
  ) {}

  setLimits(l: ConnectionLimits): void {
    // Connections above a lowered cap stay until they close; new ones wait for room.
    this.limits = { ...l };
  }

  /** Puts the gate in front of the server's own connection handling, and sets its timeouts. Call before listen(). */
  attach(server: Server): void {
    server.headersTimeout = TIMEOUTS.headersMs;
    server.requestTimeout = TIMEOUTS.requestMs;
    server.keepAliveTimeout = TIMEOUTS.keepAliveMs;
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = TIMEOUTS.checkEveryMs;
    server.setTimeout(TIMEOUTS.idleMs);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.responses.set(req.socket, res));
    server.on('timeout', (socket: Socket) => this.onIdle(socket));
    // HTTP must not see a refused connection at all: its listeners run only for admitted ones.
    const inner = server.listeners('connection') as ((s: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (this.admit(socket)) for (const l of inner) l.call(server, socket);
    });
  }

  stats(): ConnectionStats {
    return {
      active: { admin: this.admin, other: this.other },
      maxActive: { ...this.maxActive },
      accepted: this.accepted,
      refused: { ...this.refused },
      limits: { ...this.limits },
      timeoutsMs: { headers: TIMEOUTS.headersMs, request: TIMEOUTS.requestMs, keepAlive: TIMEOUTS.keepAliveMs, idle: TIMEOUTS.idleMs },
    };
  }

  private admit(socket: Socket): boolean {
    let caller: Caller;
    try {
      caller = this.authz.identify(socket);
    } catch (e) {
      return this.refuse(socket, 'unidentified', null, e);
    }
    if (caller.role === 'none') return this.refuse(socket, 'forbidden', caller);
    if (caller.role === 'admin') {
      if (this.admin >= this.limits.admin) return this.refuse(socket, 'admin', caller);
      this.admin++;
      this.maxActive.admin = Math.max(this.maxActive.admin, this.admin);
      socket.once('close', () => this.admin--);
    } else {
      const mine = this.perUid.get(caller.uid) ?? 0;
      if (this.other >= this.limits.total) return this.refuse(socket, 'total', caller);
      if (mine >= this.limits.perUid) return this.refuse(socket, 'perUid', caller);
      this.other++;
      this.perUid.set(caller.uid, mine + 1);
      this.maxActive.other = Math.max(this.maxActive.other, this.other);
      socket.once('close', () => {
        this.other--;
        const n = (this.perUid.get(caller.uid) ?? 1) - 1;
        if (n > 0) this.perUid.set(caller.uid, n);
        else this.perUid.delete(caller.uid);
      });
    }
    this.accepted++;
    return true;
  }

  private refuse(socket: Socket, reason: Reason, caller: Caller | null, err?: unknown): false {
    this.refused[reason]++;
    const limit = reason === 'admin' ? this.limits.admin : reason === 'total' ? this.limits.total : reason === 'perUid' ? this.limits.perUid : undefined;
    const e = this.refusal(reason, caller, limit);
    this.rate.log(this.log, 'warn', reason, {
      reason, uid: caller?.uid, pid: caller?.pid, limit, active: { admin: this.admin, other: this.other },
      code: e.code, ...(err === undefined ? {} : { err }), refusedSoFar: this.refused[reason],
    }, 'control API refused a connection');
    socket.on('error', () => {}); // the client may already be gone; nothing to tell anyone
    if (this.refusing >= REFUSING_MAX) {
      socket.destroy();
      return false;
    }
    this.refusing++;
    const body = JSON.stringify(e.toJSON());
    // Read and drop whatever the client sends, so it reads this answer rather than a reset.
    socket.resume();
    socket.end(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      this.refusing--;
    });
    return false;
  }

  private refusal(reason: Reason, caller: Caller | null, limit: number | undefined): WdavError {
    switch (reason) {
      case 'unidentified':
        return new WdavError('WDAV_ERR_FORBIDDEN', 'Permission denied: cannot identify the caller');
      case 'forbidden':
        return new WdavError('WDAV_ERR_FORBIDDEN', `Permission denied: uid ${caller!.uid} may not use the control API (${NO_ROLE})`);
      default: {
        const which = reason === 'admin' ? 'administrators' : reason === 'total' ? 'all non-administrative callers together' : `uid ${caller!.uid}`;
        return new WdavError('WDAV_ERR_TOO_MANY_CONNECTIONS', `Too many connections to the control socket: ${which} may hold ${limit}; try again when some have closed`);
      }
    }
  }

  private onIdle(socket: Socket): void {
    const res = this.responses.get(socket);
    // A handler still working on its answer has its own time limits; the socket's timer is
    // armed again by the answer's first write.
    if (res && !res.headersSent && !res.writableEnded) return;
    socket.destroy();
  }
}

// src/api/routes/scans.ts — on-demand scans (mdatp scan quick|full|custom|list|cancel).
//   POST /v1/scans {type, paths?, ignoreExclusions?, follow?}  admin; 201 {scan}, or with
//        follow: true the scan's events as NDJSON until its `end` (the CLI's way to run a scan)
//   GET  /v1/scans?limit=N                 recent scans, newest first (running ones live), running ids
//   GET  /v1/scans/:id                     one scan and its threats
//   GET  /v1/scans/:id/events              follow a scan: NDJSON, or SSE with Accept: text/event-stream
//   POST /v1/scans/cancel {id?}            admin; cancels one scan or all running ones
// Streams drop `progress` events for a client that does not read (never `threat` or `end`), so
// a slow follower costs bounded memory; `threat` events are sent in groups (THREAT_FLUSH_MS). Owns: HTTP shape only (src/scan/manager.ts does the rest).
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Api } from '../app.js';
import { checkPath } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';
import type { ScanManager } from '../../scan/manager.js';
import { MAX_CUSTOM_PATHS } from '../../scan/targets.js';
import type { ScanEvent } from '../../scan/types.js';

const StartBody = Type.Object(
  {
    type: Type.Union([Type.Literal('quick'), Type.Literal('full'), Type.Literal('custom')]),
    paths: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: MAX_CUSTOM_PATHS })),
    ignoreExclusions: Type.Optional(Type.Boolean()),
    follow: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9a-fA-F-]+$' }) });
const ListQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })) }, { additionalProperties: false });
const CancelBody = Type.Optional(Type.Object({ id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9a-fA-F-]+$' })) }, { additionalProperties: false }));

/** The longest a `threat` event waits for others to go out with it. */
export const THREAT_FLUSH_MS = 100;

function manager(s: Services): ScanManager {
  if (!s.scans) throw new WdavError('WDAV_ERR_UNAVAILABLE', 'On-demand scans are not available yet');
  return s.scans;
}

/** Streams a scan's events on a hijacked reply until `end` or until the client goes away. */
function stream(m: ScanManager, id: string, reply: FastifyReply, sse: boolean): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/x-ndjson', 'cache-control': 'no-cache' });
  let unsubscribe = (): void => {};
  let ended = false;
  // Threat events go out together, at most THREAT_FLUSH_MS after the first one (or with the
  // next other event): a scan finding many threats costs one write, and one wake-up of the
  // follower, per flush instead of per threat.
  let held = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (held && !ended && !res.destroyed) res.write(held);
    held = '';
  };
  const write = (ev: ScanEvent): void => {
    if (ended || res.destroyed) return;
    if (ev.event === 'progress' && res.writableNeedDrain) return;
    const json = JSON.stringify(ev);
    const text = sse ? `event: ${ev.event}\ndata: ${json}\n\n` : `${json}\n`;
    if (ev.event === 'threat') {
      held += text;
      timer ??= setTimeout(flush, THREAT_FLUSH_MS);
      return;
    }
    flush();
    res.write(text);
    if (ev.event === 'end') {
      ended = true;
      res.end();
    }
  };
  res.on('close', () => {
    ended = true;
    if (timer) clearTimeout(timer);
    unsubscribe();
  });
  try {
    unsubscribe = m.follow(id, write);
  } catch (e) {
    const err = e instanceof WdavError ? e : new WdavError('WDAV_ERR_INTERNAL', (e as Error).message);
    res.end(`${JSON.stringify({ event: 'error', ...err.toJSON() })}\n`);
  }
}

export function scanRoutes(s: Services) {
  return (app: Api): void => {
    app.post('/v1/scans', { config: { access: 'admin' }, schema: { body: StartBody } }, async (req, reply) => {
      const b = req.body;
      if (b.type !== 'custom' && b.paths !== undefined) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `a ${b.type} scan takes no paths (use a custom scan)`);
      const paths = (b.paths ?? []).map((p) => checkPath(p));
      const m = manager(s);
      const job = m.start({ type: b.type, paths, ignoreExclusions: b.ignoreExclusions === true, uid: req.caller.uid });
      if (b.follow) return stream(m, job.id, reply, false);
      reply.code(201);
      return { scan: job.progress() };
    });

    app.get('/v1/scans', { config: { access: 'read' }, schema: { querystring: ListQuery } }, async (req) => {
      const limit = req.query.limit === undefined ? 100 : Math.max(1, Number(req.query.limit));
      return { scans: manager(s).list(limit), running: manager(s).runningIds() };
    });

    app.post('/v1/scans/cancel', { config: { access: 'admin' }, schema: { body: CancelBody } }, async (req) => {
      const m = manager(s);
      const cancelled = m.cancel(req.body?.id, `cancelled by uid ${req.caller.uid}`);
      if (cancelled.length === 0) throw new WdavError('WDAV_ERR_SCAN_NOT_FOUND', 'No on-demand scan is running');
      return { cancelled };
    });

    app.get('/v1/scans/:id', { config: { access: 'read' }, schema: { params: IdParams } }, async (req) => manager(s).get(req.params.id));

    app.get('/v1/scans/:id/events', { config: { access: 'read' }, schema: { params: IdParams } }, async (req, reply) => {
      const m = manager(s);
      m.get(req.params.id); // 404 before the stream starts
      const sse = /text\/event-stream/.test(String(req.headers.accept ?? ''));
      return stream(m, req.params.id, reply, sse);
    });
  };
}

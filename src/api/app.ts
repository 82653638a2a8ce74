// src/api/app.ts — the Fastify app factory: TypeBox schemas, kernel-based authorization on
// every route, and the mapping of every failure to a coded error (WDAV_ERR_*). Malformed input
// of any kind is a 4xx with a message, never a 5xx and never a crash. Authorization denies by
// default: a route that declares no `config.access` cannot be registered, and a caller without
// a role is refused on every route, known or not. Owns: request plumbing. Must not: hold
// resource logic (one plugin per resource in src/api/routes/) or manage connections
// (connections.ts).
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WdavError, isWdavError, type ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { Authorizer, type Access, type Caller, type CallerSource } from './authz.js';

export type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

export const BODY_LIMIT = 1024 * 1024;

/** Why a caller has no role; shared with the refusal at connect time. */
export const NO_ROLE = 'neither root, the daemon\'s user, nor a member of the group that may read';

export interface AppOptions {
  authorizer: CallerSource;
  logger: Logger<'verbose'>;
  routes: ((app: Api) => void)[];
}

function send(reply: FastifyReply, code: ErrorCode, message?: string, details?: Record<string, unknown>): FastifyReply {
  const e = new WdavError(code, message, details);
  return reply.code(e.status).type('application/json').send(e.toJSON());
}

export function buildApp(opts: AppOptions): Api {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 4096 },
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('caller', null as unknown as Caller);
  // Deny by default: a route nobody classified would otherwise be open to every caller. This
  // throws out of the route's registration, so the daemon cannot start with such a route.
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: unknown } | undefined)?.access;
    if (access !== 'read' && access !== 'admin') {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      throw new WdavError('WDAV_ERR_INTERNAL', `route ${methods} ${route.url} declares no access level (config.access: 'read' | 'admin')`);
    }
  });
  // The API speaks JSON only; anything else is refused with 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    let caller: Caller;
    try {
      caller = opts.authorizer.caller(req.raw.socket);
    } catch (e) {
      opts.logger.warn({ err: e }, 'cannot read peer credentials; request refused');
      return send(reply, 'WDAV_ERR_FORBIDDEN', 'cannot identify the caller');
    }
    req.caller = caller;
    if (caller.role === 'none') {
      // Nothing at all, not even whether a route exists.
      return send(reply, 'WDAV_ERR_FORBIDDEN', `Permission denied: uid ${caller.uid} may not use the control API (${NO_ROLE})`);
    }
    const access = req.routeOptions.config?.access;
    if (access === undefined) {
      if (req.is404) return; // unknown route: the 404 handler answers a caller with a role
      return send(reply, 'WDAV_ERR_FORBIDDEN', `Permission denied: ${req.method} ${req.routeOptions.url} declares no access level`);
    }
    if (!Authorizer.allows(caller.role, access)) {
      const needs = access === 'admin' ? 'administrative privileges (root)' : `membership of the group that may read`;
      return send(reply, 'WDAV_ERR_FORBIDDEN', `Permission denied: uid ${caller.uid} lacks ${needs} for ${req.method} ${req.routeOptions.url}`);
    }
  });

  app.setNotFoundHandler((req, reply) => {
    send(reply, 'WDAV_ERR_ROUTE_NOT_FOUND', `Unknown API route: ${req.method} ${truncate(req.url)}`);
  });

  app.setErrorHandler((err: FastifyError | WdavError | Error, req, reply) => {
    if (isWdavError(err)) return reply.code(err.status).send(err.toJSON());
    const fe = err as FastifyError;
    if (fe.validation) return send(reply, 'WDAV_ERR_BAD_REQUEST', `Invalid request ${fe.validationContext ?? ''}: ${fe.message}`);
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(reply, 'WDAV_ERR_BODY_TOO_LARGE', `Request body is larger than ${BODY_LIMIT} bytes`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(reply, 'WDAV_ERR_UNSUPPORTED_MEDIA', `Unsupported content type: ${truncate(String(req.headers['content-type']))}`);
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(reply, 'WDAV_ERR_BAD_REQUEST', fe.message);
    }
    opts.logger.error({ err: { message: err.message, stack: err.stack }, method: req.method, url: truncate(req.url) }, 'unexpected error in API handler');
    return send(reply, 'WDAV_ERR_INTERNAL', 'Internal error (see the daemon log)');
  });

  app.addHook('onResponse', async (req, reply) => {
    opts.logger.debug({ method: req.method, url: truncate(req.url), status: reply.statusCode, uid: req.caller?.uid, ms: Math.round(reply.elapsedTime) }, 'api request');
  });

  for (const r of opts.routes) r(app);
  return app;
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Rejects strings that carried invalid UTF-8 (decoded to U+FFFD) or control characters. */
export function checkPath(p: string, what = 'path'): string {
  if (p.includes('\uFFFD')) throw new WdavError('WDAV_ERR_INVALID_PATH', `${what} is not valid UTF-8`);
  if (p.includes('\0')) throw new WdavError('WDAV_ERR_INVALID_PATH', `${what} contains a NUL byte`);
  return p;
}

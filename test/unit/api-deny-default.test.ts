// Authorization denies by default: a route that declares no access level cannot be registered
// (the daemon would not start with it), and a caller the kernel gives no role (not root, not a
// member of the socket group) is refused on every route, known or not — never 200, never 404.
import t from 'tap';
import { buildApp, type Api } from '../../src/api/app.js';
import type { Authorizer, Caller, Role } from '../../src/api/authz.js';
import { LoggerFactory } from '../../src/shared/logger.js';

const logger = new LoggerFactory({ level: 'error', priorityPrefix: false, destination: { write: () => {} } }).child('api');

function as(role: Role): Authorizer {
  const caller: Caller = { pid: 4242, uid: role === 'admin' ? 0 : 1000, gid: 1000, groups: [], role };
  return { caller: () => caller } as unknown as Authorizer;
}

const declared = (app: Api): void => {
  app.get('/v1/read', { config: { access: 'read' } }, async () => ({ ok: true }));
  app.post('/v1/admin', { config: { access: 'admin' } }, async () => ({ ok: true }));
};

t.test('a route without config.access is refused at registration', async (t) => {
  let app: Api | null = null;
  let error: unknown = null;
  try {
    app = buildApp({ authorizer: as('none'), logger, routes: [(a) => a.get('/v1/open', async () => ({ ok: true }))] });
    await app.ready();
  } catch (e) {
    error = e;
  }
  if (app) {
    const r = await app.inject({ method: 'GET', url: '/v1/open' });
    t.comment(`a caller without any role got ${r.statusCode} from the undeclared route`);
    await app.close();
  }
  t.match(error, { message: /GET \/v1\/open declares no access level/ }, 'registration throws');
});

t.test('a caller without a role is refused on every route, known or unknown', async (t) => {
  const app = buildApp({ authorizer: as('none'), logger, routes: [declared] });
  t.teardown(() => app.close());
  for (const [method, url] of [['GET', '/v1/read'], ['POST', '/v1/admin'], ['GET', '/v1/no-such-route'], ['DELETE', '/']] as const) {
    const r = await app.inject({ method, url });
    t.equal(r.statusCode, 403, `${method} ${url}`);
    t.equal(r.json().code, 'WDAV_ERR_FORBIDDEN');
  }
});

t.test('a reader reads, is refused admin routes, and gets 404 for unknown ones', async (t) => {
  const app = buildApp({ authorizer: as('reader'), logger, routes: [declared] });
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/v1/read' })).statusCode, 200);
  t.equal((await app.inject({ method: 'POST', url: '/v1/admin' })).statusCode, 403);
  t.equal((await app.inject({ method: 'GET', url: '/v1/no-such-route' })).statusCode, 404);
});

// src/api/stage.ts — the 'api' daemon stage: the control socket with its authorization, its
// connection gate (caps sized against the open-file limit, timeouts) and its health details.
// Owns: wiring only, and the listeners it adds (removed at stop).
import type { SettingId } from '../config/managed-keys.js';
import type { Started } from '../daemon/lifecycle.js';
import type { Services } from '../daemon/services.js';
import { fanotifyFdReserve } from '../rtp/fanotify/backend.js';
import { buildApp, type Api } from './app.js';
import { Authorizer, type CallerSource } from './authz.js';
import { ConnectionGate, REFUSING_MAX, type ConnectionLimits } from './connections.js';
import { planConnections, type ConnectionBudget } from './fd-budget.js';
import { allRoutes } from './routes/index.js';
import { listenOnSocket, removeSocket } from './server.js';
import { StageHooks } from '../daemon/stage-hooks.js';

const CAP_SETTINGS: SettingId[] = ['wdavdaemon.apiMaxConnections', 'wdavdaemon.apiMaxConnectionsPerUid', 'wdavdaemon.apiAdminConnections', 'wdavdaemon.scanQueueCapacity'];

export interface ApiOptions {
  /** Who is calling; the kernel (SO_PEERCRED) unless the composition root is given another. */
  callers?: CallerSource;
}

export async function startApi(s: Services, o: ApiOptions = {}): Promise<Started<Api>> {
  const logger = s.logs.child('api');
  const authorizer = o.callers ?? new Authorizer(s.native, s.config.settings.wdavdaemon.socketGroup);
  const plan = (): ConnectionBudget => {
    const w = s.config.settings.wdavdaemon;
    const wanted: ConnectionLimits = { admin: w.apiAdminConnections, total: w.apiMaxConnections, perUid: w.apiMaxConnectionsPerUid };
    const rtp = s.options.rtpBackend === 'none' ? 0 : fanotifyFdReserve(w.scanQueueCapacity);
    let limit: number | null = null;
    try {
      limit = s.native.nofileLimit().soft;
    } catch (e) {
      logger.warn({ err: e }, 'cannot read the open-file limit; control connection caps are not checked against it');
    }
    const b = planConnections(wanted, limit, rtp, REFUSING_MAX);
    if (b.shrunk) logger.warn({ fdLimit: b.fdLimit, reserve: b.reserve, wanted, limits: b.limits }, `control connection caps lowered: ${b.shrunk}`);
    return b;
  };
  let budget = plan();
  const gate = new ConnectionGate(authorizer, logger, budget.limits);
  const app = buildApp({ authorizer, logger, routes: allRoutes(s) });
  gate.attach(app.server);
  const hooks = new StageHooks(s)
    .onSettings(() => {
      budget = plan();
      gate.setLimits(budget.limits);
      logger.info({ limits: budget.limits }, 'control connection caps changed');
    }, CAP_SETTINGS)
    .health('api', () => ({ details: { features: { api_connections: { ...gate.stats(), fdLimit: budget.fdLimit, fdReserve: budget.reserve } } } }));
  try {
    await listenOnSocket(app, {
      socketPath: s.options.socket,
      mode: parseInt(s.config.settings.wdavdaemon.socketMode, 8),
      groupId: authorizer.groupId,
      logger,
    });
  } catch (e) {
    hooks.remove();
    await app.close();
    throw e;
  }
  logger.info(
    { socket: s.options.socket, mode: s.config.settings.wdavdaemon.socketMode, readerGroup: s.config.settings.wdavdaemon.socketGroup, readerGid: authorizer.groupId, connections: budget.limits, fdLimit: budget.fdLimit },
    'control API listening',
  );
  return {
    service: app,
    async stop() {
      hooks.remove();
      await app.close();
      removeSocket(s.options.socket);
    },
    reload() {
      authorizer.refresh();
    },
  };
}

// src/api/stage.ts — the 'api' daemon stage: the control socket with its authorization, its
// connection gate (caps sized against the open-file limit, timeouts) and its health details.
// Owns: wiring only, and the listeners it adds (removed at stop).
import type { SettingId } from '../config/managed-keys.js';
import type { Stage } from '../daemon/lifecycle.js';
import { fanotifyFdReserve } from '../rtp/fanotify/backend.js';
import { buildApp, type Api } from './app.js';
import { Authorizer } from './authz.js';
import { ConnectionGate, REFUSING_MAX, type ConnectionLimits } from './connections.js';
import { planConnections, type ConnectionBudget } from './fd-budget.js';
import { allRoutes } from './routes/index.js';
import { listenOnSocket, removeSocket } from './server.js';

const CAP_SETTINGS: SettingId[] = ['wdavdaemon.apiMaxConnections', 'wdavdaemon.apiMaxConnectionsPerUid', 'wdavdaemon.apiAdminConnections', 'wdavdaemon.scanQueueCapacity'];

let app: Api | null = null;
let authorizer: Authorizer | null = null;
let unwire: (() => void) | null = null;

export const apiStage: Stage = {
  name: 'api',
  async start(s) {
    const logger = s.logs.child('api');
    authorizer = new Authorizer(s.native, s.config.settings.wdavdaemon.socketGroup);
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
    app = buildApp({ authorizer, logger, routes: allRoutes(s) });
    gate.attach(app.server);
    const onConfig = (changed: SettingId[]): void => {
      if (!changed.some((id) => CAP_SETTINGS.includes(id))) return;
      budget = plan();
      gate.setLimits(budget.limits);
      logger.info({ limits: budget.limits }, 'control connection caps changed');
    };
    s.config.on('change', onConfig);
    s.health.register('api', () => ({ details: { features: { api_connections: { ...gate.stats(), fdLimit: budget.fdLimit, fdReserve: budget.reserve } } } }));
    unwire = () => {
      s.config.off('change', onConfig);
      s.health.unregister('api');
    };
    await listenOnSocket(app, {
      socketPath: s.options.socket,
      mode: parseInt(s.config.settings.wdavdaemon.socketMode, 8),
      groupId: authorizer.groupId,
      logger,
    });
    logger.info(
      { socket: s.options.socket, mode: s.config.settings.wdavdaemon.socketMode, readerGroup: s.config.settings.wdavdaemon.socketGroup, readerGid: authorizer.groupId, connections: budget.limits, fdLimit: budget.fdLimit },
      'control API listening',
    );
  },
  async stop(s) {
    unwire?.();
    unwire = null;
    if (app) await app.close();
    app = null;
    removeSocket(s.options.socket);
  },
  reload() {
    authorizer?.refresh();
  },
};


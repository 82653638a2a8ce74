// src/api/routes/definitions.ts — POST /v1/definitions/update|reload|restore and
// GET /v1/connectivity (mdatp definitions ..., mdatp connectivity test). Definition status is
// part of GET /v1/health (fields and `details=definitions`).
import type { Api } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';
import type { DefinitionsService } from '../../definitions/service.js';

function service(s: Services): DefinitionsService {
  if (!s.definitions) throw new WdavError('WDAV_ERR_UNAVAILABLE', 'definitions are not loaded');
  return s.definitions;
}

export function definitionsRoutes(s: Services) {
  return (app: Api): void => {
    app.post('/v1/definitions/update', { config: { access: 'admin' } }, async () => {
      const r = await service(s).update();
      return { ...r, status: service(s).status().definitions_status };
    });
    app.post('/v1/definitions/reload', { config: { access: 'admin' } }, async () => service(s).reloadCustom());
    app.post('/v1/definitions/restore', { config: { access: 'admin' } }, async () => service(s).restore());
    app.get('/v1/connectivity', { config: { access: 'admin' } }, async () => {
      const svc = service(s);
      if (!svc.status().offline_definition_url_configured) {
        throw new WdavError('WDAV_ERR_CONFLICT', 'no definitions update source is configured (antivirusEngine.offlineDefinitionUpdate and offlineDefinitionUpdateUrl)');
      }
      return { results: await svc.connectivityTest(AbortSignal.timeout(60_000)) };
    });
  };
}

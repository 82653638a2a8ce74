// src/api/routes/version.ts — GET /v1/version (mdatp version).
import type { Api } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { appVersion } from '../../shared/version.js';

export function versionRoutes(s: Services) {
  return (app: Api): void => {
    app.get('/v1/version', { config: { access: 'read' } }, async () => {
      const h = s.health.report().fields;
      return {
        app_version: appVersion(),
        engine_version: h.engine_version ?? null,
        definitions_version: h.definitions_version ?? null,
        node_version: process.version,
      };
    });
  };
}

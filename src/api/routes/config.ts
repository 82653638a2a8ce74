// src/api/routes/config.ts — GET /v1/config (effective settings, which are managed, the
// managed file's status) and PUT /v1/config/:name (mdatp config NAME --value V, log level).
import { Type } from '@sinclair/typebox';
import type { Api } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';
import { LOCAL_KEYS, isLocalKey } from '../../config/local-keys.js';
import { ParseError } from '../../config/parse.js';
import { readSetting } from '../../config/managed-keys.js';

export function configRoutes(s: Services) {
  return (app: Api): void => {
    app.get('/v1/config', { config: { access: 'read' } }, async () => ({
      settings: s.config.settings,
      managed: [...s.config.managedIds()],
      status: s.config.status(),
    }));

    app.put(
      '/v1/config/:name',
      {
        config: { access: 'admin' },
        schema: {
          params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: Type.Object({ value: Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]) }, { additionalProperties: false }),
        },
      },
      async (req) => {
        const { name } = req.params;
        if (!isLocalKey(name)) {
          throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `unknown configuration property ${JSON.stringify(name)}; known: ${Object.keys(LOCAL_KEYS).join(', ')}`);
        }
        const key = LOCAL_KEYS[name]!;
        let value: unknown;
        try {
          value = key.parse(req.body.value);
        } catch (e) {
          if (e instanceof ParseError) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `${name}: ${e.message}`);
          throw e;
        }
        s.config.setLocal(key.setting, value);
        return { name, setting: key.setting, value: readSetting(s.config.settings, key.setting) };
      },
    );
  };
}

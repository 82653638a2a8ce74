// src/api/routes/health.ts — GET /v1/health: the assembled health report, one details group,
// or one field. Readers may call it. Names are looked up as the report's own keys only: a
// name every object inherits (__proto__, constructor, ...) is as unknown as any other.
import { Type } from '@sinclair/typebox';
import type { Api } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';

export function healthRoutes(s: Services) {
  return (app: Api): void => {
    app.get(
      '/v1/health',
      {
        config: { access: 'read' },
        schema: {
          querystring: Type.Object(
            {
              details: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              field: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const { details, field } = req.query;
        if (details !== undefined) {
          const groups = s.health.detailGroups();
          if (!groups.includes(details)) {
            throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `unknown details group ${JSON.stringify(details)}; available: ${groups.join(', ')}`);
          }
        }
        const report = s.health.report(details);
        if (field !== undefined) {
          if (!Object.hasOwn(report.fields, field)) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `unknown health field ${JSON.stringify(field)}`);
          return { fields: { [field]: report.fields[field] }, managed: report.managed.filter((f) => f === field) };
        }
        return report;
      },
    );
  };
}

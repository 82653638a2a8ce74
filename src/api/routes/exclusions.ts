// src/api/routes/exclusions.ts — GET/POST/DELETE /v1/exclusions (mdatp exclusion ...).
// The API speaks MDE's exclusion types: folder, file, extension, process.
import { Type, type Static } from '@sinclair/typebox';
import type { Api } from '../app.js';
import { checkPath } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';
import type { Exclusion } from '../../config/settings.js';
import { ParseError } from '../../config/parse.js';
import { validateExtension, validatePathValue, validateProcessName } from '../../config/exclusions.js';

const Body = Type.Object(
  {
    type: Type.Union([Type.Literal('folder'), Type.Literal('file'), Type.Literal('extension'), Type.Literal('process')]),
    value: Type.String({ minLength: 1, maxLength: 4096 }),
    scope: Type.Optional(Type.Union([Type.Literal('epp'), Type.Literal('global')])),
  },
  { additionalProperties: false },
);
type Body = Static<typeof Body>;

export type ExclusionType = Body['type'];

export function toExclusion(b: Body): Exclusion {
  const scope = b.scope ?? 'epp';
  try {
    switch (b.type) {
      case 'folder': {
        const p = validatePathValue(checkPath(b.value));
        return { kind: 'path', path: p.length > 1 ? p.replace(/\/+$/, '') || '/' : p, isDirectory: true, scope };
      }
      case 'file':
        return { kind: 'path', path: validatePathValue(checkPath(b.value)), isDirectory: false, scope };
      case 'extension':
        return { kind: 'extension', extension: validateExtension(checkPath(b.value, 'extension')), scope };
      case 'process':
        return { kind: 'process', name: validateProcessName(checkPath(b.value, 'process')), scope };
    }
  } catch (e) {
    if (e instanceof ParseError) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', e.message);
    throw e;
  }
}

export function describeExclusion(e: Exclusion): { type: ExclusionType; path?: string; extension?: string; name?: string; scope: string } {
  switch (e.kind) {
    case 'path':
      return { type: e.isDirectory ? 'folder' : 'file', path: e.path, scope: e.scope };
    case 'extension':
      return { type: 'extension', extension: e.extension, scope: e.scope };
    case 'process':
      return { type: 'process', name: e.name, scope: e.scope };
  }
}

export function exclusionRoutes(s: Services) {
  return (app: Api): void => {
    app.get('/v1/exclusions', { config: { access: 'read' } }, async () => ({
      exclusions: s.config.exclusions().map((x) => ({ ...describeExclusion(x.exclusion), managed: x.managed })),
      mergePolicy: s.config.settings.exclusionsMergePolicy,
    }));

    app.post('/v1/exclusions', { config: { access: 'admin' }, schema: { body: Body } }, async (req, reply) => {
      const e = toExclusion(req.body);
      if (!s.config.addExclusion(e)) throw new WdavError('WDAV_ERR_ALREADY_EXISTS', 'This exclusion already exists');
      reply.code(201);
      return { exclusion: describeExclusion(e) };
    });

    app.delete('/v1/exclusions', { config: { access: 'admin' }, schema: { body: Body } }, async (req) => {
      const e = toExclusion(req.body);
      if (!s.config.removeExclusion(e)) throw new WdavError('WDAV_ERR_NOT_FOUND', 'No such exclusion');
      return { exclusion: describeExclusion(e) };
    });
  };
}

// src/api/routes/threats.ts — the threat resources behind `mdatp threat ...`:
//   GET    /v1/threats                 list (read)          GET /v1/threats/:id   one, with history (read)
//   GET    /v1/quarantine              quarantined (read)   POST /v1/quarantine   {id}: quarantine now (admin)
//   DELETE /v1/quarantine/:id          delete the copy      DELETE /v1/quarantine  all copies (admin)
//   POST   /v1/quarantine/restore      {id | path, destination?} (admin)
//   GET|POST|DELETE /v1/allowed-threats  the allow list ({name}) (read / admin)
//   PUT    /v1/threat-policy           {type, action} (admin)
// Owns request shapes only; behaviour is src/threats/.
import { Type } from '@sinclair/typebox';
import type { Api } from '../app.js';
import { BODY_LIMIT, checkPath } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';
import type { ThreatService } from '../../threats/service.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
// Not PATH_MAX: a detected file may be deeper (the kernel accepts such paths through relative
// operations, and quarantine and restore use only those); the body limit bounds the request.
const PathStr = Type.String({ minLength: 1, maxLength: BODY_LIMIT });
const Name = Type.Object({ name: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });

export function threatRoutes(s: Services) {
  const svc = (): ThreatService => {
    if (!s.threats) throw new WdavError('WDAV_ERR_UNAVAILABLE', 'the threat service is not running');
    return s.threats;
  };
  return (app: Api): void => {
    app.get('/v1/threats', { config: { access: 'read' } }, async () => ({ threats: svc().list() }));

    app.get('/v1/threats/:id', { config: { access: 'read' }, schema: { params: Type.Object({ id: Id }) } }, async (req) => ({ threat: svc().get(req.params.id) }));

    app.get('/v1/quarantine', { config: { access: 'read' } }, async () => ({ quarantined: svc().quarantined() }));

    app.post('/v1/quarantine', { config: { access: 'admin' }, schema: { body: Type.Object({ id: Id }, { additionalProperties: false }) } }, async (req) => ({
      threat: await svc().quarantineAdd(req.body.id, req.caller.uid),
    }));

    app.delete('/v1/quarantine/:id', { config: { access: 'admin' }, schema: { params: Type.Object({ id: Id }) } }, async (req) => ({
      threat: await svc().quarantineRemove(req.params.id, req.caller.uid),
    }));

    app.delete('/v1/quarantine', { config: { access: 'admin' } }, async (req) => svc().quarantineRemoveAll(req.caller.uid));

    app.post(
      '/v1/quarantine/restore',
      {
        config: { access: 'admin' },
        schema: { body: Type.Object({ id: Type.Optional(Id), path: Type.Optional(PathStr), destination: Type.Optional(PathStr) }, { additionalProperties: false }) },
      },
      async (req) => {
        const { id, path, destination } = req.body;
        if ((id === undefined) === (path === undefined)) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', 'give exactly one of a threat id or an original path');
        const dest = destination === undefined ? undefined : checkPath(destination, 'destination path');
        return id !== undefined ? svc().restore(id, dest, req.caller.uid) : svc().restoreByPath(checkPath(path!, 'path'), dest, req.caller.uid);
      },
    );

    app.get('/v1/allowed-threats', { config: { access: 'read' } }, async () => svc().admin.allowedList());

    app.post('/v1/allowed-threats', { config: { access: 'admin' }, schema: { body: Name } }, async (req, reply) => {
      const r = svc().admin.allowAdd(req.body.name, req.caller.uid);
      reply.code(201);
      return r;
    });

    app.delete('/v1/allowed-threats', { config: { access: 'admin' }, schema: { body: Name } }, async (req) => svc().admin.allowRemove(req.body.name, req.caller.uid));

    app.put(
      '/v1/threat-policy',
      { config: { access: 'admin' }, schema: { body: Type.Object({ type: Type.String({ maxLength: 64 }), action: Type.String({ maxLength: 16 }) }, { additionalProperties: false }) } },
      async (req) => svc().admin.setTypePolicy(req.body.type, req.body.action, req.caller.uid),
    );
  };
}

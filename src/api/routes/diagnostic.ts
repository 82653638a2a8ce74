// src/api/routes/diagnostic.ts — POST /v1/diagnostic (mdatp diagnostic create): a tar.gz with
// the effective configuration and its sources, health, the definitions summary, recent
// detections, versions and the database check. Each component adds its own sections to
// services.diagnostics; this route only collects them. Admin only: it reveals configuration.
import { Type } from '@sinclair/typebox';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import type { Api } from '../app.js';
import { checkPath } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { WdavError } from '../../shared/errors.js';

export function diagnosticRoutes(s: Services) {
  return (app: Api): void => {
    app.post(
      '/v1/diagnostic',
      {
        config: { access: 'admin' },
        schema: { body: Type.Optional(Type.Object({ path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) }, { additionalProperties: false })) },
      },
      async (req) => {
        const requested = req.body?.path;
        const dir = requested ? checkPath(requested) : path.join(s.options.stateDir, 'diagnostic');
        if (!path.isAbsolute(dir)) throw new WdavError('WDAV_ERR_INVALID_PATH', `--path must be absolute: ${dir}`);
        if (!requested) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        let st: fs.Stats;
        try {
          st = fs.lstatSync(dir);
        } catch {
          throw new WdavError('WDAV_ERR_INVALID_PATH', `directory does not exist: ${dir}`);
        }
        if (!st.isDirectory()) throw new WdavError('WDAV_ERR_INVALID_PATH', `not a directory (symbolic links are refused): ${dir}`);

        const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wdavdiag-'));
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const name = `wdavdiag-${stamp}`;
        try {
          fs.mkdirSync(path.join(work, name));
          const files: string[] = [];
          for (const [file, producer] of s.diagnostics) {
            let content: unknown;
            try {
              content = await producer();
            } catch (e) {
              content = { error: (e as Error).message };
            }
            const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n';
            fs.writeFileSync(path.join(work, name, file), text, { mode: 0o600 });
            files.push(file);
          }
          const out = path.join(dir, `${name}.tar.gz`);
          // Write to a temp name in the destination and rename: no half-written archive appears.
          const tmp = `${out}.partial`;
          await tar.c({ gzip: true, file: tmp, cwd: work, portable: true }, [name]);
          fs.chmodSync(tmp, 0o600);
          if (req.caller.uid > 0) fs.chownSync(tmp, req.caller.uid, req.caller.gid);
          fs.renameSync(tmp, out);
          return { path: out, files };
        } finally {
          fs.rmSync(work, { recursive: true, force: true });
        }
      },
    );
  };
}

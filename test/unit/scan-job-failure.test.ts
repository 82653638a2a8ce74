// One file's failure never fails the scan: an engine error result, an engine exception and a
// file too large for onDemandMaxFileSize are counted per code/reason; the other files are
// scanned and the scan succeeds.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../src/engine/types.js';
import { eicar } from '../helpers/archive-fixtures.js';
import { tmpDir } from '../helpers/scan-walk.js';
import { makeJob } from '../helpers/scan-job.js';

t.test('failures are counted, the scan goes on', async (t) => {
  const root = tmpDir(t);
  for (let f = 0; f < 30; f++) fs.writeFileSync(path.join(root, `ok${f}`), 'fine');
  fs.writeFileSync(path.join(root, 'throws'), 'x');
  fs.writeFileSync(path.join(root, 'eio'), 'x');
  fs.writeFileSync(path.join(root, 'big'), Buffer.alloc(4096));
  fs.writeFileSync(path.join(root, 'z-eicar'), eicar());
  // Fault injection around the real engine: one exception, one error result.
  const faulty = (e: Engine): Engine => ({
    get generation() {
      return e.generation;
    },
    scan(src, ctx) {
      const p = 'path' in src ? String(src.path) : '';
      if (p.endsWith('/throws')) return Promise.reject(Object.assign(new Error('engine blew up'), { code: 'WDAV_ERR_INTERNAL' }));
      if (p.endsWith('/eio')) return Promise.resolve({ kind: 'error', code: 'WDAV_ERR_FILE_UNREADABLE', message: 'EIO', generation: 0 });
      return e.scan(src, ctx);
    },
  });
  const h = makeJob([root], { wrap: faulty, maxFileSize: 1000 });
  const s = await h.job.run();
  t.equal(s.state, 'succeeded');
  t.equal(s.filesScanned, 31, 'the 30 clean files and the EICAR file');
  t.equal(s.threatsDetected, 1);
  t.equal(s.errors, 2);
  t.same(s.details.errorsBy, { WDAV_ERR_INTERNAL: 1, WDAV_ERR_FILE_UNREADABLE: 1 });
  t.same(s.details.skippedBy, { too_large: 1 });
  t.equal(s.skipped, 1);
  t.ok(s.details.events.some((e) => e.path === path.join(root, 'throws') && /engine blew up/.test(e.code)));
});

// Bad input and unavailable fanotify give specific coded errors at the binding boundary.
import t from 'tap';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openFanotifyGroup, fanotifyClass, toWdavError } from '../../src/rtp/fanotify/native.js';
import { loadNative, type NativeBinding } from '../../src/shared/native.js';
import { isWdavError } from '../../src/shared/errors.js';
import { skip } from './fanotify-harness.js';
import { tsLoaderArgs } from '../helpers/ts-loader.js';

const onEvents = (): void => undefined;
const code = (fn: () => unknown): unknown => { try { fn(); return 'no error'; } catch (e) { return (e as { code?: string }).code; } };

t.test('invalid options are refused before anything opens', { skip }, async (t) => {
  t.equal(code(() => openFanotifyGroup({} as never)), 'WDAV_ERR_INVALID_ARGUMENT', 'onEvents required');
  t.equal(code(() => openFanotifyGroup({ onEvents, timeoutMs: 0 })), 'WDAV_ERR_INVALID_ARGUMENT', 'timeoutMs ≥ 1');
  t.equal(code(() => openFanotifyGroup({ onEvents, pendingCapacity: 1.5 })), 'WDAV_ERR_INVALID_ARGUMENT', 'integer capacity');
  t.equal(code(() => openFanotifyGroup({ onEvents, defaultResponse: 'maybe' as never })), 'WDAV_ERR_INVALID_ARGUMENT');
  t.equal(code(() => openFanotifyGroup({ onEvents, scope: ['relative/path'] })), 'WDAV_ERR_INVALID_ARGUMENT', 'absolute scope');
  t.ok(isWdavError(toWdavError(Object.assign(new Error('x'), { code: 'WDAV_ERR_FANOTIFY_MARK', errno: 2 }))));
});

t.test('mark and verdict errors on a group with no marks', { skip }, async (t) => {
  const g = openFanotifyGroup({ onEvents });
  t.teardown(() => g.close());
  let err: unknown;
  try { g.addMark('/nonexistent/wdav-test'); } catch (e) { err = toWdavError(e); }
  t.ok(isWdavError(err), 'a WdavError');
  t.match(err, { code: 'WDAV_ERR_FANOTIFY_MARK', details: { errnoName: 'ENOENT', syscall: 'fanotify_mark' } });
  t.equal(code(() => g.addMark('')), 'WDAV_ERR_INVALID_ARGUMENT');
  t.equal(code(() => g.respond(-1, true)), 'WDAV_ERR_INVALID_ARGUMENT');
  t.equal(code(() => g.respond(1, true, { ignoreMark: 'yes' as never })), 'WDAV_ERR_INVALID_ARGUMENT');
  t.equal(g.respond(424242, true), false, 'unknown id: false, nothing written');
  t.equal(g.stats().answeredByJs.late, 1);
  g.close();
  t.equal(code(() => g.addMark('/tmp')), 'WDAV_ERR_FANOTIFY_MARK', 'after close');
  t.equal(g.closed, true);
});

t.test('without CAP_SYS_ADMIN: WDAV_ERR_FANOTIFY_UNAVAILABLE saying why', { skip }, async (t) => {
  const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fanotify-open-error.ts');
  const out = execFileSync('setpriv', ['--bounding-set=-sys_admin', '--inh-caps=-sys_admin', process.execPath,
    ...tsLoaderArgs, fixture]);
  const r = JSON.parse(out.toString()) as { wdav: boolean; code: string; message: string; details: Record<string, unknown> };
  t.equal(r.wdav, true);
  t.equal(r.code, 'WDAV_ERR_FANOTIFY_UNAVAILABLE');
  t.match(r.details, { errno: 1, errnoName: 'EPERM', syscall: 'fanotify_init' });
  t.match(r.message, /CAP_SYS_ADMIN/);
});

t.test('a binding without fanotify (other OS) is reported, not crashed on', async (t) => {
  const fake = { ...loadNative(), features: { fanotify: false, vectorscan: false }, FanotifyGroup: undefined } as NativeBinding;
  t.equal(code(() => fanotifyClass(fake)), 'WDAV_ERR_FANOTIFY_UNAVAILABLE');
});

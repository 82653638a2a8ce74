import t from 'tap';
import { WdavError, ERRORS, isErrorCode } from '../../src/shared/errors.js';

t.test('coded errors carry their registry status', async (t) => {
  const e = new WdavError('WDAV_ERR_FORBIDDEN');
  t.equal(e.status, 403);
  t.equal(e.message, ERRORS.WDAV_ERR_FORBIDDEN.message);
  t.same(e.toJSON(), { code: 'WDAV_ERR_FORBIDDEN', message: ERRORS.WDAV_ERR_FORBIDDEN.message });
  t.ok(isErrorCode('WDAV_ERR_DB'));
  t.notOk(isErrorCode('nope'));
});

// GET /v1/health?field=NAME looks NAME up among the report's own fields only: names an object
// inherits (__proto__, constructor, toString, ...) are unknown fields like any other, a 400
// with a coded error — never a 200 carrying a prototype.
import t from 'tap';
import { InProcDaemon } from '../helpers/inproc.js';

t.test('inherited names are unknown health fields', async (t) => {
  const d = await InProcDaemon.start(t);
  for (const field of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'no_such_field']) {
    const r = await d.api('GET', `/v1/health?field=${encodeURIComponent(field)}`);
    t.equal(r.status, 400, `field=${field}`);
    t.equal(r.json.code, 'WDAV_ERR_INVALID_ARGUMENT', `field=${field}: coded`);
    t.match(r.json.message, /unknown health field/);
  }
  const ok = await d.api('GET', '/v1/health?field=healthy');
  t.same([ok.status, Object.keys(ok.json.fields)], [200, ['healthy']], 'a real field still answers');
  const cli = await d.mdatp(['health', '--field', '__proto__']);
  t.equal(cli.code, 1);
  t.match(cli.stderr, /^unknown health field "__proto__"/);
});

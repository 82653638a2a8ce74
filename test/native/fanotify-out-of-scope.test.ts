// Scope prefixes: events on marked files outside every prefix are allowed natively (no JS);
// a prefix matches whole path components only ("/in" does not cover "/inside").
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs } from './fanotify-harness.js';

t.test('out of scope → allowed natively, in scope → JS policy', { skip }, async (t) => {
  const dir = tmpfs(t);
  const inBad = put(path.join(dir, 'in', 'bad.txt'), 'WDAV-TEST-BAD');
  const outBad = put(path.join(dir, 'out', 'bad.txt'), 'WDAV-TEST-BAD');
  const nearBad = put(path.join(dir, 'inside', 'bad.txt'), 'WDAV-TEST-BAD');
  const l = await startListener(t, { mount: dir, scope: [path.join(dir, 'in') + '/'] });

  t.ok((await openAs(outBad)).ok, 'outside the scope: allowed without a scan');
  t.ok((await openAs(nearBad)).ok, 'sibling with the prefix as a name prefix: outside too');
  t.equal((await openAs(inBad)).code, 'EPERM', 'inside the scope: denied by JS');
  const s = await l.stats();
  t.equal(s.answeredNatively.outOfScope, 2);
  t.same(l.events.map((e) => e.path), [inBad], 'only the in-scope event reached JS');
});
